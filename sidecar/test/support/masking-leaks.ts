import type { SuiteQuery } from './suite-session.js';

/**
 * User functions and a view over one that MASKING_LEAKS calls, created by the database owner
 * before the sessions: SQL (old-style and BEGIN ATOMIC bodies), set-returning, PL/pgSQL, one
 * calling another, and one taking an orders row (callable as `o.leak_card`).
 */
export const MASKING_LEAK_SETUP_SQL = `
CREATE FUNCTION public.leak_email(i bigint) RETURNS text LANGUAGE sql
  AS $$ SELECT email FROM customers WHERE id = i $$;
CREATE FUNCTION public.leak_rows() RETURNS SETOF customers LANGUAGE sql
  AS $$ SELECT * FROM customers $$;
CREATE FUNCTION public.leak_table() RETURNS TABLE (e text, c text) LANGUAGE sql
  BEGIN ATOMIC SELECT email, card_number FROM customers; END;
CREATE FUNCTION public.leak_pl(i bigint) RETURNS text LANGUAGE plpgsql
  AS $$ BEGIN RETURN (SELECT email || ' ' || card_number FROM customers WHERE id = i); END $$;
CREATE FUNCTION public.leak_via(i bigint) RETURNS text LANGUAGE sql
  AS $$ SELECT leak_email(i) $$;
CREATE FUNCTION public.leak_card(o orders) RETURNS text LANGUAGE sql
  AS $$ SELECT card_number FROM customers WHERE id = o.customer_id $$;
CREATE VIEW public.leak_contacts AS SELECT leak_email(customer_id) AS contact FROM orders;
GRANT SELECT ON public.leak_contacts TO app_reader;
`;

/**
 * Queries that try to read the sample schema's classified columns (customers.email and
 * customers.card_number) in a form the column-origin masking would not see: derived values,
 * whole rows, aggregates, wrappers, binary format. Whatever the gate answers (masked rows or
 * a refusal), no real value may come back, in any spelling of it (see leakForms).
 */
export const MASKING_LEAKS: readonly { name: string; query: SuiteQuery | string }[] = [
  { name: 'the columns themselves', query: 'SELECT email, card_number FROM customers' },
  { name: 'lower(email)', query: 'SELECT lower(email) FROM customers' },
  { name: 'upper(email)', query: 'SELECT upper(email) AS e FROM customers' },
  { name: "email || ''", query: "SELECT email || '' AS e FROM customers" },
  {
    name: 'concat and format',
    query: "SELECT concat(email, ''), format('%s', card_number) FROM customers",
  },
  { name: 'substr of the card', query: 'SELECT substr(card_number, 1, 12) FROM customers' },
  { name: 'split_part of the email', query: "SELECT split_part(email, '@', 1) FROM customers" },
  { name: 'reverse', query: 'SELECT reverse(email), reverse(card_number) FROM customers' },
  {
    name: 'base64 of the bytes',
    query: "SELECT encode(convert_to(email, 'UTF8'), 'base64') FROM customers",
  },
  { name: 'hex of the bytes', query: "SELECT encode(card_number::bytea, 'hex') FROM customers" },
  {
    name: 'a cast chain',
    query: 'SELECT email::varchar(200)::text, card_number::bytea FROM customers',
  },
  {
    name: 'CASE around the column',
    query: "SELECT CASE WHEN id > 0 THEN email ELSE '' END FROM customers",
  },
  { name: 'coalesce', query: "SELECT coalesce(card_number, 'none') FROM customers" },
  { name: 'row_to_json', query: 'SELECT row_to_json(c) FROM customers c' },
  { name: 'to_jsonb field', query: "SELECT to_jsonb(c) ->> 'email' FROM customers c" },
  { name: 'the whole row', query: 'SELECT c FROM customers c' },
  { name: 'the whole row as text', query: 'SELECT c::text FROM customers c' },
  { name: 'a field of the whole row', query: 'SELECT (c).card_number FROM customers c' },
  { name: 'array_agg', query: 'SELECT array_agg(card_number) FROM customers' },
  { name: 'json_agg of rows', query: 'SELECT json_agg(c) FROM customers c' },
  { name: 'string_agg', query: "SELECT string_agg(email, ',') FROM customers" },
  { name: 'ARRAY subquery', query: 'SELECT ARRAY(SELECT email FROM customers)' },
  { name: 'a scalar subquery', query: 'SELECT (SELECT card_number FROM customers WHERE id = 1)' },
  { name: 'a CTE', query: 'WITH x AS (SELECT email AS e FROM customers) SELECT e FROM x' },
  { name: 'a derived table', query: 'SELECT s.e FROM (SELECT email AS e FROM customers) s' },
  { name: 'a UNION with literals', query: "SELECT 'x' UNION ALL SELECT email FROM customers" },
  { name: 'LATERAL', query: 'SELECT l.v FROM customers c, LATERAL (SELECT c.email AS v) l' },
  {
    name: 'VALUES joined',
    query: 'SELECT v.x FROM (VALUES (1)) t(i), LATERAL (SELECT card_number AS x FROM customers) v',
  },
  { name: 'unnest of an array', query: 'SELECT unnest(ARRAY[email, card_number]) FROM customers' },
  { name: 'jsonb_build_object', query: "SELECT jsonb_build_object('e', email) FROM customers" },
  { name: 'xmlelement', query: 'SELECT xmlelement(name e, email) FROM customers' },
  {
    name: 'UPDATE ... RETURNING',
    query: 'UPDATE customers SET name = name WHERE id > 0 RETURNING email, card_number',
  },
  {
    name: 'a prepared statement',
    query: { text: 'SELECT email FROM customers WHERE id > $1', values: [0] },
  },
  {
    name: 'binary format',
    query: {
      text: 'SELECT email, card_number, lower(email) FROM customers WHERE id > $1',
      values: [0],
      binary: true,
    },
  },
  {
    name: 'a quoted and qualified column',
    query: 'SELECT "public"."customers"."email" FROM public.customers',
  },
  { name: 'an ORDER BY that leaks nothing', query: 'SELECT id FROM customers ORDER BY email' },
  {
    name: 'a cursor',
    query: 'DECLARE leak CURSOR FOR SELECT email, card_number FROM customers; FETCH ALL FROM leak',
  },
  {
    name: 'PREPARE and EXECUTE',
    query: 'PREPARE leak AS SELECT email FROM customers; EXECUTE leak',
  },
  { name: 'SELECT *', query: 'SELECT * FROM customers' },
  // User functions (MASKING_LEAK_SETUP_SQL) read the columns inside their bodies.
  { name: 'a SQL function returning the email', query: 'SELECT leak_email(id) FROM customers' },
  { name: 'a SQL function called with constants', query: 'SELECT public.leak_email(1)' },
  { name: 'a set-returning SQL function in FROM', query: 'SELECT * FROM leak_rows()' },
  { name: 'a BEGIN ATOMIC table function', query: 'SELECT e, c FROM leak_table() t' },
  { name: 'a PL/pgSQL function', query: 'SELECT leak_pl(id) FROM customers' },
  { name: 'a PL/pgSQL function over orders', query: 'SELECT leak_pl(customer_id) FROM orders' },
  {
    name: 'a function calling a function',
    query: 'SELECT leak_via(o.customer_id) FROM orders o',
  },
  { name: 'a function in attribute notation', query: 'SELECT o.leak_card FROM orders o' },
  { name: 'a view over a function', query: 'SELECT contact FROM leak_contacts' },
  {
    name: 'written into an unclassified column, RETURNING',
    query:
      'UPDATE orders SET status = (SELECT card_number FROM customers WHERE id = 1) ' +
      'WHERE id = 1 RETURNING status',
  },
  // Lineage follows a statement, not the table a value was stored in: a classified value
  // copied into an unclassified column would read back in clear, so such writes are refused.
  {
    name: 'copied into an unclassified column, then read back',
    query:
      'INSERT INTO orders (customer_id, amount, status) SELECT id, 1, email FROM customers; ' +
      'SELECT status FROM orders WHERE amount = 1',
  },
  {
    name: 'copied by a data-modifying WITH',
    query:
      'WITH w AS (INSERT INTO orders (customer_id, amount, status) ' +
      'SELECT id, 2, card_number FROM customers RETURNING status) SELECT 1',
  },
  // Errors quote values; a masking session scrubs the fields of every ErrorResponse.
  {
    name: 'a unique violation quoting the key',
    query:
      'INSERT INTO customers (name, email, card_number) ' +
      'SELECT name, email, card_number FROM customers',
  },
  { name: 'a cast error quoting the email', query: 'SELECT email::int FROM customers' },
  { name: 'an out-of-range card number', query: 'SELECT card_number::int FROM customers' },
  {
    name: 'a JSON token quoting the email',
    query: `SELECT ('"' || email)::json FROM customers`,
  },
  { name: 'a setting named by the email', query: 'SELECT current_setting(email) FROM customers' },
];

/**
 * Attempts that only `derived: refuse` stops: the derived value is used before the row masker
 * sees it. Under `derived: refuse` the expression is refused before it runs.
 * NOTE: under `derived: mask` these leak, so they run here only against the refusing policy:
 * `SELECT set_config('leak.value', email, false) ...; SELECT current_setting('leak.value')`
 * masks the first result, but the setting keeps the real value and the second statement has
 * no lineage to email.
 */
export const DERIVED_REFUSED_LEAKS: readonly { name: string; query: string }[] = [
  {
    name: 'kept in a setting and read back',
    query:
      "SELECT set_config('leak.value', email, false) FROM customers WHERE id = 1; " +
      "SELECT current_setting('leak.value')",
  },
];

/** Spellings of a secret value that count as leaking it: as is, and easily reversed. */
export function leakForms(value: string): string[] {
  const forms = [
    value,
    value.toUpperCase(),
    [...value].reverse().join(''),
    Buffer.from(value).toString('base64'),
    Buffer.from(value).toString('hex'),
  ];
  const at = value.indexOf('@');
  if (at > 0) forms.push(value.slice(0, at + 1));
  // Sixteen-digit cards: the first twelve are what partial masking hides.
  else if (value.length > 12) forms.push(value.slice(0, 12));
  return forms;
}
