import { beforeAll, describe, expect, it } from '@jest/globals';
import { loadModule, parseSync } from 'libpg-query';
import type { OutputItem, RelationLookup, RelationShape } from './lineage-types.js';
import { parsedStatements, statementLineage, type NamedLineages } from './statement-lineage.js';

const TEXT = 25;
const INT4 = 23;
const shapes: RelationShape[] = [
  {
    schema: 'public',
    name: 'customers',
    columns: ['id', 'name', 'email', 'card'].map((name) => ({
      name,
      typeOid: name === 'id' ? INT4 : TEXT,
    })),
  },
  {
    schema: 'public',
    name: 'orders',
    columns: ['id', 'customer_id', 'note'].map((name) => ({ name, typeOid: TEXT })),
  },
];
// Both know no user functions: every call is to a built-in one.
const noCatalog: RelationLookup = { lookup: () => undefined, functions: () => [] };
const catalog: RelationLookup = {
  lookup: (schema, name) =>
    shapes.filter((s) => s.name === name && (schema === undefined || s.schema === schema)),
  functions: () => [],
};

beforeAll(async () => {
  await loadModule();
  shapes.push(
    {
      schema: 'public',
      name: 'customer_view',
      columns: ['id', 'email_lower', 'card'].map((name) => ({ name, typeOid: TEXT })),
      view: parsedStatements(
        parseSync('select id, lower(email) as email_lower, card from customers'),
      )[0],
    },
    {
      schema: 'public',
      name: 'view_on_view',
      columns: [{ name: 'c', typeOid: TEXT }],
      view: parsedStatements(parseSync('select card as c from customer_view'))[0],
    },
    { schema: 'public', name: 'broken_view', columns: [{ name: 'x', typeOid: TEXT }], view: null },
  );
});

// One line per result column: its kind and its sources, sorted; `-` for none.
function describeItem(item: OutputItem): string {
  const sources = [...item.sources].sort().join(',') || '-';
  return `${item.kind} ${sources}`;
}

function lineageOf(
  sql: string,
  lookup: RelationLookup | undefined = catalog,
  named?: NamedLineages,
) {
  const [stmt] = parsedStatements(parseSync(sql));
  return statementLineage(stmt, lookup, named);
}

function columns(sql: string, lookup: RelationLookup = catalog): string[] | undefined {
  return lineageOf(sql, lookup).output?.map(describeItem);
}

const EMAIL = 'public.customers.email';
const CARD = 'public.customers.card';
const ID = 'public.customers.id';
const NAME = 'public.customers.name';
const ROW = 'public.customers.*';

describe('statementLineage', () => {
  it.each([
    ['select email from customers', [`column ${EMAIL}`]],
    ['select c.email as e, c.id from public.customers c', [`column ${EMAIL}`, `column ${ID}`]],
    ['select lower(email) from customers', [`computed ${EMAIL}`]],
    ["select email || '' from customers", [`computed ${EMAIL}`]],
    ['select substr(card, 1, 12) from customers', [`computed ${CARD}`]],
    ['select row_to_json(c) from customers c', [`computed ${ROW}`]],
    ['select to_json(c.*) from customers c', [`computed ${ROW}`]],
    ['select c from customers c', [`computed ${ROW}`]],
    ['select array_agg(email) from customers', [`computed ${EMAIL}`]],
    ['select json_agg(c) from customers c', [`computed ${ROW}`]],
    ["select string_agg(email, ',') from customers", [`computed ${EMAIL}`]],
    ["select coalesce(email, '') from customers", [`computed ${EMAIL}`]],
    ['select case when id > 1 then email end from customers', [`computed ${EMAIL},${ID}`]],
    ["select format('%s', email) from customers", [`computed ${EMAIL}`]],
    ['select email::varchar from customers', [`computed ${EMAIL}`]],
    ['select (c).email from customers c', [`computed ${ROW}`]],
    ['select count(*), max(id) from customers', ['computed -', `computed ${ID}`]],
    ["select 1, 'x', now()", ['computed -', 'computed -', 'computed -']],
    [
      'select * from customers',
      [`column ${ID}`, `column ${NAME}`, `column ${EMAIL}`, `column ${CARD}`],
    ],
    [
      'select o.note, c.* from orders o join customers c on c.id = o.customer_id',
      [
        'column public.orders.note',
        `column ${ID}`,
        `column ${NAME}`,
        `column ${EMAIL}`,
        `column ${CARD}`,
      ],
    ],
    ['select e from (select lower(email) as e from customers) s', [`computed ${EMAIL}`]],
    ['select s.e from (select email from customers) s(e)', [`column ${EMAIL}`]],
    ['with x as (select email from customers) select upper(email) from x', [`computed ${EMAIL}`]],
    ['with x(a) as (select card from customers) select * from x', [`column ${CARD}`]],
    [
      'select (select email from customers c where c.id = o.customer_id) from orders o',
      [`computed ${EMAIL}`],
    ],
    ['select array(select email from customers)', [`computed ${EMAIL}`]],
    ['select id from customers union all select email from customers', [`column ${EMAIL},${ID}`]],
    [
      'select email from customers union select note from orders',
      [`column ${EMAIL},public.orders.note`],
    ],
    ['values (1, 2)', ['computed -', 'computed -']],
    [
      'select n, email from customers, generate_series(1, 2) g(n)',
      ['computed -', `column ${EMAIL}`],
    ],
    ['select t.x from customers c, lateral (select c.card as x) t', [`column ${CARD}`]],
    ['select id from customers join orders using (id)', [`column ${ID},public.orders.id`]],
    [
      'select * from customers natural join orders',
      [
        `column ${ID}`,
        `column ${NAME}`,
        `column ${EMAIL}`,
        `column ${CARD}`,
        'column public.orders.customer_id',
        'column public.orders.note',
      ],
    ],
    ['select id from customers full join orders using (id)', [`computed ${ID},public.orders.id`]],
    ['delete from customers where id = 1 returning email', [`column ${EMAIL}`]],
    [
      'insert into orders (note) select email from customers returning note',
      [`computed ${EMAIL},public.orders.note`],
    ],
    ["update orders set note = 'x' returning note", ['column public.orders.note']],
    ['with d as (delete from customers returning card) select * from d', [`column ${CARD}`]],
    ['copy customers (email, id) to stdout', [`column ${EMAIL}`, `column ${ID}`]],
    ['copy (select lower(email) from customers) to stdout', [`computed ${EMAIL}`]],
    ['explain analyze select email from customers', ['computed -']],
    ['show search_path', ['computed -']],
  ])('%s', (sql, expected) => {
    expect(columns(sql)).toEqual(expected);
  });

  it('expands * over a table whose columns are unknown into a spread', () => {
    expect(columns('select id, * from customers', noCatalog)).toEqual([
      'column ?.customers.id',
      'spread ?.customers.*',
    ]);
    expect(lineageOf('select * from customers', noCatalog).output).toEqual([
      { kind: 'spread', sources: ['?.customers.*'], baseTable: true },
    ]);
  });

  it('resolves names without the catalog, with ? for the unknown schema', () => {
    expect(columns('select lower(c.email) from customers c', noCatalog)).toEqual([
      'computed ?.customers.email',
    ]);
  });

  it('lists every relation a statement names, subqueries included', () => {
    const lineage = lineageOf(
      'select 1 from orders where exists (select 1 from public.customers where card is null)',
    );
    expect([...lineage.relations].sort()).toEqual(['?.orders', 'public.customers']);
  });

  it('takes the lineage of view columns from the view definition, through nested views', () => {
    expect(columns('select * from customer_view')).toEqual([
      `column ${ID}`,
      `computed ${EMAIL}`,
      `column ${CARD}`,
    ]);
    expect(columns('select v.c from view_on_view v')).toEqual([`column ${CARD}`]);
    expect(columns('select x from broken_view')).toEqual(['unknown public.broken_view.*']);
    expect([...lineageOf('select 1 from view_on_view').relations].sort()).toEqual([
      '?.customer_view',
      '?.customers',
      '?.view_on_view',
    ]);
  });

  it('marks an unresolvable reference unknown', () => {
    expect(columns('select nosuch from customers')).toEqual([`unknown ${ROW}`]);
  });

  it('returns no output for statements that return no rows', () => {
    expect(lineageOf("insert into orders (note) values ('x')").output).toBeUndefined();
    expect(lineageOf('copy customers from stdin').output).toBeUndefined();
    expect(lineageOf('select email into t2 from customers').output).toBeUndefined();
  });

  it('follows cursors and prepared statements by name, and is opaque without them', () => {
    const declared = lineageOf('declare cur cursor for select lower(email) from customers');
    expect(declared.defines?.kind).toBe('cursor');
    const named: NamedLineages = {
      cursors: new Map([['cur', declared.defines!.lineage]]),
      prepared: new Map(),
    };
    expect(lineageOf('fetch 10 from cur', catalog, named).output?.map(describeItem)).toEqual([
      `computed ${EMAIL}`,
    ]);
    const unknown = lineageOf('execute p(1)', catalog, named);
    expect(unknown.opaque).toBe(true);
    expect(unknown.output).toBeUndefined();
  });
});
