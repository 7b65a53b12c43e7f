import { expect } from '@jest/globals';
import { type SuiteTarget } from '../suite-session.js';
import { BackendCode } from '../../../src/wire/message-codes.js';
import { frontend as m, WireSession } from '../wire-session.js';
import { type SuiteCase } from '../suite-case.js';

/** The extended protocol by hand, compared byte for byte (wire-session.ts). */
export const WIRE_PROTOCOL_CASES: readonly SuiteCase[] = [
  {
    name: 'extended protocol by hand: Describe, portal suspension, binary rows, Close',
    run: (t) =>
      withWire(t, async (w) => {
        const sql =
          'SELECT n, n * 1.5 AS half, md5(n::text) FROM generate_series(1, 7) AS n WHERE n > $1';
        return [
          await w.exchange([m.parse('by_n', sql, [23]), m.describe('S', 'by_n'), m.sync()]),
          await w.exchange([
            m.bind('p', 'by_n', ['1'], 1),
            m.describe('P', 'p'),
            m.execute('p', 2),
            m.execute('p', 2),
            m.execute('p', 0),
            m.execute('p', 1),
            m.close('P', 'p'),
            m.close('S', 'by_n'),
            m.sync(),
          ]),
        ];
      }),
    shape: [
      ['1:', expect.stringMatching(/^t:/), expect.stringMatching(/^T:/), expect.any(String)],
      expect.arrayContaining([expect.stringMatching(/^s:/), expect.stringMatching(/^3:/)]),
    ],
  },
  {
    name: 'extended protocol by hand: a Bind to a closed statement answers 26000',
    run: (t) =>
      withWire(t, async (w) => [
        await w.exchange([m.parse('gone', 'SELECT 1'), m.close('S', 'gone'), m.sync()]),
        await w.exchange([m.bind('', 'gone', [], 0), m.execute(''), m.sync()]),
        await w.exchange([m.bind('', '', [], 0), m.execute(''), m.sync()]),
        await w.exchange([m.parse('gone', 'SELECT 2'), m.bind('', 'gone', [], 0), m.sync()]),
      ]),
    shape: [
      ['1:', '3:', expect.stringMatching(/^Z:/)],
      [expect.stringMatching(/^E:/), expect.stringMatching(/^Z:/)],
      [expect.stringMatching(/^E:/), expect.stringMatching(/^Z:/)],
      ['1:', '2:', expect.stringMatching(/^Z:/)],
    ],
    byDesign: {
      why:
        'the gate answers a Bind to a statement it knows is gone itself: PostgreSQL severity, ' +
        'SQLSTATE and message, without the source location fields (F, L, R) of the server',
      normalize: (exchanges) =>
        (exchanges as string[][]).map((frames) => frames.map(withoutSourceLocation)),
    },
  },
  {
    name: 'extended protocol by hand: a pipeline with an error skips to its Sync',
    run: (t) =>
      withWire(t, async (w) => {
        const group = (sql: string) => [m.parse('', sql), m.bind('', '', [], 0), m.execute('')];
        return [
          await w.exchange(
            [
              ...group('SELECT 1'),
              ...group('SELECT 1 / 0'),
              ...group('SELECT 3'),
              m.sync(),
              ...group('SELECT 4'),
              m.sync(),
            ],
            BackendCode.readyForQuery,
            2,
          ),
          await w.exchange([m.parse('', 'SELECT 5'), m.flush()], BackendCode.parseComplete),
          await w.exchange([m.bind('', '', [], 0), m.describe('P', ''), m.execute(''), m.sync()]),
          await w.exchange([
            m.parse('', 'BEGIN'),
            m.bind('', '', [], 0),
            m.describe('P', ''),
            m.execute(''),
            m.sync(),
          ]),
          await w.exchange([m.query('ROLLBACK')]),
        ];
      }),
    shape: [
      expect.arrayContaining([expect.stringMatching(/^E:/), expect.stringMatching(/^Z:/)]),
      ['1:'],
      expect.arrayContaining([expect.stringMatching(/^D:/)]),
      expect.arrayContaining(['n:']),
      expect.any(Array),
    ],
  },
];

/** Opens a raw protocol session on the target's wire address, runs work, closes it. */
async function withWire<T>(target: SuiteTarget, work: (session: WireSession) => Promise<T>) {
  if (target.wire === undefined) throw new Error(`no wire address for the ${target.kind} target`);
  const session = await WireSession.open(target.wire);
  try {
    return await work(session);
  } finally {
    session.close();
  }
}

/** An ErrorResponse frame (`E:hex`) as its fields other than F, L and R; others unchanged. */
function withoutSourceLocation(frame: string): string {
  if (!frame.startsWith('E:')) return frame;
  const fields = Buffer.from(frame.slice(2), 'hex').toString('utf8').split('\0');
  return `E:${fields.filter((f) => f !== '' && !/^[FLR]/.test(f)).join('|')}`;
}
