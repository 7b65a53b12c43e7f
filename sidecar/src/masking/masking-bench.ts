// Micro-benchmark of mask-only work: one million DataRow messages with three masked columns of
// five, each decoded into cells, masked and encoded again, against the same decode and encode
// without masking in the same run (the relay's own per-row work). Not a test; run it with
//   npx tsc --build && npx node sidecar/dist/src/masking/masking-bench.js
import { performance } from 'node:perf_hooks';
import { accessPolicySchema, dataSourceSchema, type MaskStrategy } from '@portcullis/crds';
import { maskingSettings, planRows, type PlanCatalog } from './result-plan.js';
import type { ResultColumn, RowMasker } from './row-masker.js';

const ROWS = 1_000_000;
const TABLE_OID = 16400;
const TEXT = 25;
const INT4 = 23;

const catalog: PlanCatalog = {
  origin: (_oid, attnum) =>
    [undefined, 'id', 'email', 'card', 'phone', 'note'][attnum] === undefined
      ? undefined
      : {
          schema: 'public',
          table: 'customers',
          column: ['', 'id', 'email', 'card', 'phone', 'note'][attnum]!,
          typeOid: attnum === 1 ? INT4 : TEXT,
          view: false,
        },
  textTypes: () => new Set(),
};

const columns: ResultColumn[] = ['id', 'email', 'card', 'phone', 'note'].map((name, i) => ({
  name,
  tableOid: TABLE_OID,
  attnum: i + 1,
  typeOid: i === 0 ? INT4 : TEXT,
  format: 0,
}));

// 100,000 distinct rows, cycled, as DataRow message bodies (16-bit cell count, then per cell a
// 32-bit length and the bytes): far more than the hash strategy's memo holds, so hashing is
// measured on values it has not seen. A second run cycles 1000 rows to show repeated values.
const DISTINCT = 100_000;
const sample = Array.from({ length: DISTINCT }, (_, i) =>
  encodeRow([
    Buffer.from(String(i)),
    Buffer.from(`user${i}@example.com`),
    Buffer.from(`4111 1111 11${String(100000 + i).slice(-6)}`),
    Buffer.from(`+1415${String(1000000 + i).slice(-7)}`),
    Buffer.from(`order note number ${i}`),
  ]),
);

function decodeRow(body: Buffer): (Buffer | null)[] {
  const count = body.readInt16BE(0);
  const cells = new Array<Buffer | null>(count);
  let at = 2;
  for (let i = 0; i < count; i++) {
    const length = body.readInt32BE(at);
    at += 4;
    cells[i] = length < 0 ? null : body.subarray(at, at + length);
    if (length > 0) at += length;
  }
  return cells;
}

function encodeRow(cells: (Buffer | null)[]): Buffer {
  let size = 2;
  for (const cell of cells) size += 4 + (cell?.length ?? 0);
  const out = Buffer.allocUnsafe(size);
  out.writeInt16BE(cells.length, 0);
  let at = 2;
  for (const cell of cells) {
    out.writeInt32BE(cell === null ? -1 : cell.length, at);
    at += 4;
    if (cell !== null) at += cell.copy(out, at);
  }
  return out;
}

function masker(strategy: MaskStrategy): RowMasker {
  const dataSource = dataSourceSchema.parse({
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'DataSource',
    metadata: { name: 'bench' },
    spec: {
      host: 'db',
      database: 'bench',
      minter: { secretRef: { name: 'm' }, grantableRoles: ['r'] },
      classification: {
        'public.customers.email': 'email',
        'public.customers.card': 'card',
        'public.customers.phone': 'phone',
      },
    },
  });
  const policy = accessPolicySchema.parse({
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'AccessPolicy',
    metadata: { name: 'bench' },
    spec: {
      dataSourceRef: { name: 'bench' },
      workloadSelector: {},
      subjects: [{ serviceAccount: { name: 'app' } }],
      grant: { role: 'r' },
      masking: {
        rules: ['email', 'card', 'phone'].map((classification) => ({ classification, strategy })),
      },
    },
  });
  const plan = planRows(
    maskingSettings(policy, dataSource, Buffer.alloc(32, 7)),
    columns,
    undefined,
    catalog,
  );
  if (plan.action !== 'mask') throw new Error('unexpected refusal');
  return plan.masker;
}

function run(mask: (cells: (Buffer | null)[]) => (Buffer | null)[], distinct = DISTINCT): number {
  let bytes = 0;
  const start = performance.now();
  for (let i = 0; i < ROWS; i++) {
    bytes += encodeRow(mask(decodeRow(sample[i % distinct]!))).length;
  }
  const seconds = (performance.now() - start) / 1000;
  if (bytes === 0) throw new Error('no rows were produced');
  return ROWS / seconds;
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

// Rounds alternate between the baseline and each strategy, and each keeps its best round, so a
// noisy neighbour on the machine slows both sides alike instead of skewing one.
const ROUNDS = 3;
const passThrough = (cells: (Buffer | null)[]): (Buffer | null)[] => cells;
const strategies = ['redact', 'partial', 'hash', 'null'] as const;
const maskers = strategies.map((strategy) => masker(strategy));
const best = new Map<string, number>();
const keep = (name: string, rate: number): void => {
  best.set(name, Math.max(best.get(name) ?? 0, rate));
};
const hashRepeated = masker('hash');
for (let round = 0; round < ROUNDS; round++) {
  keep('baseline', run(passThrough));
  maskers.forEach((m, i) =>
    keep(
      strategies[i]!,
      run((cells) => m.maskRow(cells)),
    ),
  );
  keep(
    'hash, 1000 values',
    run((cells) => hashRepeated.maskRow(cells), 1000),
  );
}

const baseline = best.get('baseline')!;
const rows = (rate: number): string => `${Math.round(rate).toLocaleString('en')} rows/s`;
print(`decode+encode      ${rows(baseline)} (no masking)`);
for (const name of [...strategies, 'hash, 1000 values']) {
  const rate = best.get(name)!;
  print(
    `${name.padEnd(18)} ${rows(rate)} ` +
      `(${(rate / baseline).toFixed(2)}x of decode+encode alone, 3 masked columns of 5)`,
  );
}
