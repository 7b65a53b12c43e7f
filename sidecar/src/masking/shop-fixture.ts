import {
  accessPolicySchema,
  dataSourceSchema,
  type AccessPolicy,
  type MaskingRule,
} from '@portcullis/crds';
import { parseSync } from 'libpg-query';
import type { ColumnOrigin } from './column-catalog.js';
import type { FunctionShape, RelationLookup, RelationShape } from './lineage/lineage-types.js';
import { parsedStatements } from './lineage/statement-lineage.js';
import type { PlanCatalog } from './result-plan.js';
import type { ResultColumn } from './row-masker.js';

// A small shop schema shared by the masking unit tests: customers hold classified columns,
// orders do not. The catalog stands in for ColumnCatalog (which has its own integration test).

export const TEXT = 25;
export const INT4 = 23;
export const JSON_OID = 114;
export const CUSTOMERS = 16400;
export const ORDERS = 16410;
export const hashKey = Buffer.from('test hash key, 32 bytes long....');

const tables: (RelationShape & { oid: number; types: number[] })[] = [
  {
    oid: CUSTOMERS,
    schema: 'public',
    name: 'customers',
    types: [INT4, TEXT, TEXT, INT4],
    columns: [],
  },
  { oid: ORDERS, schema: 'public', name: 'orders', types: [INT4, INT4, TEXT], columns: [] },
];
tables[0]!.columns = ['id', 'email', 'card', 'pin'].map((name, i) => ({
  name,
  typeOid: tables[0]!.types[i]!,
}));
tables[1]!.columns = ['id', 'customer_id', 'note'].map((name, i) => ({
  name,
  typeOid: tables[1]!.types[i]!,
}));

export const catalog: PlanCatalog & RelationLookup = {
  origin(tableOid, attnum): ColumnOrigin | undefined {
    const table = tables.find((t) => t.oid === tableOid);
    const column = table?.columns[attnum - 1];
    if (table === undefined || column === undefined) return undefined;
    return {
      schema: table.schema,
      table: table.name,
      column: column.name,
      typeOid: column.typeOid,
      view: false,
    };
  },
  textTypes: () => new Set(),
  lookup: (schema, name) =>
    tables.filter((t) => t.name === name && (schema === undefined || t.schema === schema)),
  functions: (schema, name) => {
    const found = shopFunctions().filter((f) => f.name === name);
    return found.length > 0 ? found.filter((f) => schema === undefined || f.schema === schema) : [];
  },
};

// Two user functions: contact_of(id), SQL over customers.email; audit_note(), PL/pgSQL.
// Parsed on first use: the parser loads in each test file's beforeAll.
let functions: FunctionShape[] | undefined;
function shopFunctions(): FunctionShape[] {
  functions ??= [
    {
      schema: 'public',
      name: 'contact_of',
      language: 'sql',
      parameters: ['customer'],
      body: parsedStatements(parseSync('select email from customers where id = customer'))[0],
    },
    { schema: 'public', name: 'audit_note', language: 'plpgsql', parameters: [], body: null },
  ];
  return functions;
}

export const dataSource = dataSourceSchema.parse({
  apiVersion: 'portcullis.dev/v1alpha1',
  kind: 'DataSource',
  metadata: { name: 'shop' },
  spec: {
    host: 'db',
    database: 'shop',
    minter: { secretRef: { name: 'minter' }, grantableRoles: ['reader'] },
    classification: {
      'public.customers.email': 'email',
      'public.customers.card': 'credit_card',
      'public.customers.pin': 'secret',
    },
  },
});

export function policy(
  rules: MaskingRule[],
  extra: { derived?: string; binary?: string } = {},
): AccessPolicy {
  return accessPolicySchema.parse({
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'AccessPolicy',
    metadata: { name: 'shop-readers' },
    spec: {
      dataSourceRef: { name: 'shop' },
      workloadSelector: {},
      subjects: [{ serviceAccount: { name: 'app' } }],
      grant: { role: 'reader' },
      masking: { rules, ...extra },
    },
  });
}

export const RULES: MaskingRule[] = [
  { classification: 'email', strategy: 'partial' },
  { classification: 'credit_card', strategy: 'partial' },
  { classification: 'secret', strategy: 'redact' },
];

export function column(
  name: string,
  typeOid: number,
  origin?: [number, number],
  format: 0 | 1 = 0,
): ResultColumn {
  return { name, typeOid, tableOid: origin?.[0] ?? 0, attnum: origin?.[1] ?? 0, format };
}
