import { psql, withSession } from '../suite-session.js';
import { binaryColumns, failure, result, type SuiteCase } from '../suite-case.js';

/** Transactions, savepoints, cursors, COPY, LISTEN/NOTIFY and SQL-level PREPARE. */
export const TRANSACTION_CASES: readonly SuiteCase[] = [
  {
    name: 'an error in the middle of several statements stops the rest',
    run: (t) =>
      withSession(t, async (s) => [
        await s.run(
          "INSERT INTO conformance_items (id, label) VALUES (30, 'thirty'); SELECT 1 / 0; " +
            "INSERT INTO conformance_items (id, label) VALUES (31, 'thirty-one')",
        ),
        await s.run('SELECT id FROM conformance_items WHERE id >= 30 ORDER BY id'),
      ]),
    shape: [failure('22012'), result('SELECT', 0)],
  },
  {
    name: 'a failed transaction answers 25P02 until ROLLBACK',
    run: (t) =>
      withSession(t, async (s) => [
        await s.run('BEGIN'),
        await s.run("INSERT INTO conformance_items (id, label) VALUES (40, 'forty')"),
        await s.run('SELECT 1 / 0'),
        await s.run('SELECT 1'),
        await s.run({ text: 'SELECT $1::int', values: [1] }),
        await s.run('COMMIT'),
        await s.run('SELECT count(*) FROM conformance_items'),
        await s.run('ROLLBACK'),
      ]),
    shape: [
      result('BEGIN'),
      result('INSERT', 1),
      failure('22012'),
      failure('25P02'),
      failure('25P02'),
      result('ROLLBACK'),
      { rows: [['3']] },
      result('ROLLBACK'),
    ],
  },
  {
    name: 'savepoints: roll back to one after a unique violation',
    run: (t) =>
      withSession(t, async (s) => [
        await s.run('BEGIN'),
        await s.run("INSERT INTO conformance_items (id, label) VALUES (50, 'fifty')"),
        await s.run('SAVEPOINT before_dup'),
        await s.run("INSERT INTO conformance_items (id, label) VALUES (51, 'one')"),
        await s.run('ROLLBACK TO SAVEPOINT before_dup'),
        await s.run("INSERT INTO conformance_items (id, label) VALUES (52, 'fifty-two')"),
        await s.run('RELEASE SAVEPOINT before_dup'),
        await s.run('COMMIT'),
        await s.run('SELECT id, label FROM conformance_items WHERE id >= 50 ORDER BY id'),
      ]),
    shape: [
      {},
      {},
      result('SAVEPOINT'),
      failure('23505'),
      result('ROLLBACK'),
      {},
      result('RELEASE'),
      result('COMMIT'),
      {
        rows: [
          ['50', 'fifty'],
          ['52', 'fifty-two'],
        ],
      },
    ],
  },
  {
    name: 'cursors: DECLARE, FETCH, MOVE, CLOSE',
    run: (t) =>
      withSession(t, async (s) => [
        await s.run('BEGIN'),
        await s.run(
          'DECLARE items CURSOR WITH HOLD FOR SELECT id, label FROM conformance_items ORDER BY id',
        ),
        await s.run('FETCH 2 FROM items'),
        await s.run('MOVE BACKWARD 1 IN items'),
        await s.run('FETCH ALL FROM items'),
        await s.run('FETCH NEXT FROM items'),
        await s.run('COMMIT'),
        await s.run('FETCH ABSOLUTE 1 FROM items'),
        await s.run('CLOSE items'),
        await s.run('FETCH 1 FROM items'),
      ]),
    shape: [
      {},
      result('DECLARE'),
      result('FETCH', 2),
      result('MOVE', 1),
      result('FETCH', 2),
      result('FETCH', 0),
      {},
      result('FETCH', 1),
      result('CLOSE'),
      failure('34000'),
    ],
  },
  {
    name: 'a binary cursor',
    run: (t) =>
      withSession(t, async (s) => [
        await s.run('BEGIN'),
        await s.run(
          'DECLARE raw BINARY CURSOR FOR ' +
            'SELECT id, amount, data FROM conformance_items ORDER BY id',
        ),
        await s.run('FETCH ALL FROM raw'),
        await s.run('COMMIT'),
      ]),
    shape: [{}, {}, { ...binaryColumns, rowCount: 3 }, {}],
  },
  {
    name: 'COPY FROM STDIN, then COPY TO STDOUT in text, CSV and binary',
    run: async (t) => [
      await psql(t, 'COPY conformance_items (id, label, amount, tags) FROM STDIN', {
        input: '60\tsixty\t6.5\t{p,q}\n61\tsixty-one\t\\N\t\\N\n',
      }),
      await psql(t, 'COPY conformance_items TO STDOUT'),
      await psql(
        t,
        'COPY (SELECT id, label, doc FROM conformance_items ORDER BY id) ' +
          'TO STDOUT (FORMAT csv, HEADER)',
      ),
      await psql(t, 'COPY conformance_items TO STDOUT (FORMAT binary)', { binary: true }),
    ],
    shape: [{ code: 0, stdout: 'COPY 2\n' }, { code: 0 }, { code: 0 }, { code: 0 }],
  },
  {
    name: 'COPY FROM STDIN with a bad row fails whole',
    run: async (t) => [
      await psql(t, 'COPY conformance_items (id, label) FROM STDIN', {
        input: '70\tseventy\nnot-a-number\tbad\n',
      }),
      await psql(t, 'SELECT count(*) FROM conformance_items'),
    ],
    shape: [{ code: 1, stdout: '' }, { stdout: '3\n' }],
  },
  {
    name: 'LISTEN and NOTIFY, also from inside a transaction',
    run: (t) =>
      withSession(t, (listener) =>
        withSession(t, async (notifier) => {
          const steps = [
            await listener.run('LISTEN conformance'),
            await notifier.run("NOTIFY conformance, 'plain'"),
            await notifier.run('BEGIN'),
            await notifier.run("SELECT pg_notify('conformance', 'in a transaction')"),
            await notifier.run('COMMIT'),
            await notifier.run("NOTIFY conformance, 'ünïcode ✓'"),
          ];
          await listener.notified(3);
          steps.push(await listener.run('UNLISTEN *'));
          return { steps, heard: listener.notifications };
        }),
      ),
    shape: {
      steps: [
        result('LISTEN'),
        result('NOTIFY'),
        {},
        result('SELECT', 1),
        {},
        {},
        result('UNLISTEN'),
      ],
      heard: [
        { channel: 'conformance', payload: 'plain' },
        { payload: 'in a transaction' },
        { payload: 'ünïcode ✓' },
      ],
    },
  },
  {
    name: 'SQL-level PREPARE, EXECUTE, DEALLOCATE and DISCARD ALL',
    run: (t) =>
      withSession(t, async (s) => [
        await s.run('PREPARE by_label(text) AS SELECT id FROM conformance_items WHERE label = $1'),
        await s.run("EXECUTE by_label('two')"),
        await s.run('EXECUTE by_label(2, 3)'),
        await s.run('DEALLOCATE by_label'),
        await s.run("EXECUTE by_label('two')"),
        await s.run('PREPARE again AS SELECT 1'),
        await s.run('EXECUTE again'),
        await s.run('DISCARD ALL'),
        await s.run('EXECUTE again'),
        // A failed EXECUTE aborts a transaction block like any failing statement.
        await s.run('BEGIN'),
        await s.run('EXECUTE again'),
        await s.run('SELECT 1'),
        await s.run('ROLLBACK'),
      ]),
    shape: [
      result('PREPARE'),
      { rows: [['2']] },
      failure('42601'),
      result('DEALLOCATE'),
      { error: { code: '26000', message: 'prepared statement "by_label" does not exist' } },
      result('PREPARE'),
      { rows: [['1']] },
      result('DISCARD'),
      failure('26000'),
      result('BEGIN'),
      failure('26000'),
      failure('25P02'),
      result('ROLLBACK'),
    ],
  },
];
