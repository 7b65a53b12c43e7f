import { beforeAll, describe, expect, it } from '@jest/globals';
import { loadModule, parseSync } from 'libpg-query';
import {
  ANY_RELATION,
  type FunctionShape,
  type OutputItem,
  type RelationLookup,
  type RelationShape,
} from './lineage-types.js';
import { parsedStatements, statementLineage } from './statement-lineage.js';

const TEXT = 25;
const relations: RelationShape[] = [
  {
    schema: 'public',
    name: 'customers',
    columns: ['id', 'name', 'email'].map((name) => ({ name, typeOid: TEXT })),
  },
  {
    schema: 'public',
    name: 'orders',
    columns: ['id', 'note'].map((name) => ({ name, typeOid: TEXT })),
  },
];
const functions: FunctionShape[] = [];

// The stub catalog as ColumnCatalog answers: user overloads; [] for names that are built in;
// undefined for names it does not know.
const BUILT_IN = new Set(['lower', 'count', 'generate_series']);
const catalog: RelationLookup = {
  lookup: (schema, name) =>
    relations.filter((r) => r.name === name && (schema === undefined || r.schema === schema)),
  functions: (schema, name) => {
    const found = functions.filter(
      (f) => f.name === name && (schema === undefined || f.schema === schema),
    );
    if (found.length > 0) return found;
    return schema === undefined && BUILT_IN.has(name) ? [] : undefined;
  },
};

function tree(sql: string): unknown {
  return parsedStatements(parseSync(sql))[0];
}

// A SQL function, its body given as the statement it returns (or `return <expr>`).
function sql(name: string, parameters: string[], body: string, resultColumns?: string[]) {
  const parsed = body.startsWith('return ')
    ? fieldsOfCreate(`create function f() returns int language sql ${body}`)
    : tree(body);
  functions.push({
    schema: 'public',
    name,
    language: 'sql',
    parameters,
    ...(resultColumns ? { resultColumns } : {}),
    body: parsed,
  });
}

function fieldsOfCreate(text: string): unknown {
  return (tree(text) as { CreateFunctionStmt: { sql_body: unknown } }).CreateFunctionStmt.sql_body;
}

function opaque(schema: string, name: string, language = 'plpgsql'): void {
  functions.push({ schema, name, language, parameters: ['i'], body: null });
}

beforeAll(async () => {
  await loadModule();
  sql('email_of', ['i'], 'select email from customers where id = i');
  sql('note_of', ['i'], 'select note from orders where id = i');
  sql('tagged', ['t'], "select t || ':' || 'tag'");
  sql(
    'by_id',
    ['i'],
    'return (select customers.email from customers where customers.id = by_id.i)',
  );
  sql('customer_rows', [], 'select * from customers', ['id', 'name', 'email']);
  sql('pairs', [], 'select email, id from customers', ['e', 'n']);
  sql('order_rows', [], 'select id, note from orders', ['id', 'note']);
  sql('wraps', ['x'], 'select email_of(x)');
  sql('loops', ['n'], 'select loops(n - 1)');
  sql('label', [''], 'select note from orders limit 1');
  for (let i = 1; i <= 5; i++) sql(`chain${i}`, ['x'], `select chain${i + 1}(x)`);
  sql('chain6', ['x'], 'select email from customers');
  opaque('public', 'pl_email');
  opaque('public', 'c_func', 'c');
  sql('twice', ['i'], 'select note from orders where id = i');
  opaque('archive', 'twice');
  relations.push({
    schema: 'public',
    name: 'order_contacts',
    columns: [{ name: 'contact', typeOid: TEXT }],
    view: tree('select email_of(id) as contact from orders'),
  });
});

function describeItem(item: OutputItem): string {
  const sources = [...item.sources].sort().join(',') || '-';
  return `${item.kind} ${sources}`;
}

function columns(text: string): string[] | undefined {
  return statementLineage(tree(text), catalog).output?.map(describeItem);
}

const EMAIL = 'public.customers.email';
const ID = 'public.customers.id';
const NAME = 'public.customers.name';
const NOTE = 'public.orders.note';
const ANY = 'computed *.*.*';

describe('lineage of user function calls', () => {
  it.each([
    // SQL functions: computed from what the body returns, and from the arguments.
    ['select email_of(1)', [`computed ${EMAIL}`]],
    ['select email_of(id) from customers', [`computed ${EMAIL},${ID}`]],
    ['select lower(email_of(1))', [`computed ${EMAIL}`]],
    ['select by_id(1)', [`computed ${EMAIL}`]],
    ["select tagged('x')", ['computed -']],
    ['select tagged(o.note) from orders o', [`computed ${NOTE}`]],
    ['select note_of(o.id) from orders o', ['computed public.orders.id,public.orders.note']],
    ['select x from email_of(2) x', [`computed ${EMAIL}`]],
    // A function calling another: seen through each level.
    ['select wraps(1)', [`computed ${EMAIL}`]],
    ['select contact from order_contacts', [`computed ${EMAIL},public.orders.id`]],
    // Set-returning SQL functions: column by column when the result columns are known.
    ['select * from customer_rows()', [`computed ${ID}`, `computed ${NAME}`, `computed ${EMAIL}`]],
    ['select n from pairs()', [`computed ${ID}`]],
    ['select p.e from pairs() p', [`computed ${EMAIL}`]],
    ['select b from pairs() as p(a, b)', [`computed ${ID}`]],
    [
      'select ordinality, email from customer_rows() with ordinality',
      ['computed -', `computed ${EMAIL}`],
    ],
    // Opaque: another language, unknown names, recursion, too deep.
    ['select pl_email(1)', [ANY]],
    ['select c_func(id) from orders', [`${ANY},public.orders.id`]],
    ['select no_such_function(1)', [ANY]],
    ['select loops(3)', [ANY]],
    ['select chain1(1)', [ANY]],
    ['select chain3(1)', [`computed ${EMAIL}`]],
    ['select * from pl_email(1) f', [`spread *.*.*`]],
    // Overloads in several schemas: the union, opaque if one is.
    ['select twice(1)', [ANY]],
    ['select public.twice(1)', [`computed ${NOTE}`]],
    ['select archive.twice(1)', [ANY]],
    // Built-ins are unchanged.
    ['select lower(email) from customers', [`computed ${EMAIL}`]],
    ['select pg_catalog.lower(note) from orders', [`computed ${NOTE}`]],
    ['select n from generate_series(1, 3) g(n)', ['computed -']],
    // Attribute notation: c.label is label(c) when customers has no column label.
    ['select c.label from customers c', [`unknown public.customers.*,${NOTE}`]],
    ['select (c).label from customers c', [`computed public.customers.*,${NOTE}`]],
    ['select c.email from customers c', [`column ${EMAIL}`]],
  ])('%s', (text, expected) => {
    expect(columns(text)).toEqual(expected);
  });

  it('counts the relations a function body reads as read, and any for an opaque call', () => {
    const read = (text: string) => [...statementLineage(tree(text), catalog).relations].sort();
    expect(read('select wraps(1)')).toEqual(['?.customers']);
    expect(read('select 1 from orders where pl_email(id) is not null')).toEqual([
      ANY_RELATION,
      '?.orders',
    ]);
    expect(read('select lower(note) from orders')).toEqual(['?.orders']);
    expect(read('select loops(1)')).toEqual([]);
  });
});
