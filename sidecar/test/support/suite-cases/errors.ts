import { expect } from '@jest/globals';
import { withSession, type Observation, type ObservedError } from '../suite-session.js';
import { failure, result, type SuiteCase } from '../suite-case.js';

/** Errors, notices, cancels and timeouts, as the client sees them. */
export const ERROR_CASES: readonly SuiteCase[] = [
  {
    name: 'a syntax error: SQLSTATE, message and position',
    run: (t) =>
      withSession(t, async (s) => [
        await s.run('SELEC * FROM conformance_items'),
        await s.run('SELECT * FROM conformance_items WHERE'),
        await s.run({ text: 'SELECT $1::int FROM FROM', values: [1] }),
        await s.run("SELECT 'unterminated"),
        await s.run('SELECT 1; SELEC 2'),
        // Positions count characters: the emoji is one, though two UTF-16 units and 4 bytes.
        await s.run("SELECT 'héé🎉' FROM FROM"),
        await s.run('SELECT 1'),
      ]),
    shape: [
      { error: { code: '42601', position: '1' } },
      failure('42601'),
      failure('42601'),
      failure('42601'),
      { error: { code: '42601', position: '11' } },
      { error: { code: '42601', position: '20' } },
      result('SELECT', 1),
    ],
    byDesign: {
      why:
        'the gate answers unparsable text itself: its message wraps the server message in ' +
        'the policy refusal and names policy and rule in detail',
      normalize: (steps) => (steps as Observation[]).map(parserMessage),
    },
  },
  {
    name: 'division by zero, simple and extended',
    run: (t) =>
      withSession(t, async (s) => [
        await s.run('SELECT 1 / 0'),
        await s.run({ text: 'SELECT $1::int / $2::int', values: [1, 0] }),
        await s.run('SELECT id / (id - 2) FROM conformance_items ORDER BY id'),
        await s.run('SELECT 1'),
      ]),
    shape: [failure('22012'), failure('22012'), failure('22012'), result('SELECT', 1)],
  },
  {
    name: 'a unique violation names its constraint',
    run: (t) =>
      withSession(t, async (s) => [
        await s.run("INSERT INTO conformance_items (id, label) VALUES (90, 'one')"),
        await s.run({
          text: 'INSERT INTO conformance_items (id, label) VALUES ($1, $2)',
          values: [1, 'another'],
        }),
      ]),
    shape: [
      { error: { code: '23505', constraint: 'conformance_items_label_key' } },
      { error: { code: '23505', constraint: 'conformance_items_pkey' } },
    ],
  },
  {
    name: 'other server errors: undefined table, bad input, privilege, null constraint',
    run: (t) =>
      withSession(t, async (s) => [
        await s.run('SELECT * FROM no_such_table'),
        await s.run("SELECT 'abc'::int"),
        await s.run('SELECT * FROM pg_authid'),
        await s.run('INSERT INTO conformance_items (id) VALUES (91)'),
        await s.run('SELECT no_such_column FROM conformance_items'),
      ]),
    shape: [
      failure('42P01'),
      failure('22P02'),
      failure('42501'),
      failure('23502'),
      failure('42703'),
    ],
  },
  {
    name: 'notices raised by a function, and a WARNING from the server',
    run: (t) =>
      withSession(t, async (s) => {
        const steps = [
          await s.run("SELECT conformance_notice('simple')"),
          await s.run({ text: 'SELECT conformance_notice($1)', values: ['extended'] }),
          await s.run('COMMIT'),
        ];
        return { steps, notices: s.notices };
      }),
    shape: {
      notices: [
        { severity: 'NOTICE', code: '00000', message: 'notice: simple', detail: 'about simple' },
        { severity: 'WARNING', code: '01000', message: 'warning: simple' },
        { message: 'notice: extended' },
        { message: 'warning: extended' },
        { code: '25P01' },
      ],
    },
  },
  {
    name: 'a cancelled query answers 57014 and the session goes on',
    run: (t) =>
      withSession(t, async (s) => {
        const sleeping = s.run('SELECT pg_sleep(20)');
        await new Promise((resolve) => setTimeout(resolve, 300));
        await s.cancel(t);
        return [await sleeping, await s.run('SELECT 1')];
      }),
    shape: [failure('57014'), result('SELECT', 1)],
  },
  {
    name: 'statement_timeout',
    run: (t) =>
      withSession(t, async (s) => [
        await s.run("SET statement_timeout = '150ms'"),
        await s.run('SELECT pg_sleep(5)'),
        await s.run({ text: 'SELECT pg_sleep($1)', values: [5] }),
        await s.run('SELECT 2'),
      ]),
    shape: [result('SET'), failure('57014'), failure('57014'), result('SELECT', 1)],
  },
  {
    name: 'parameter errors: a type that cannot be told, a wrong count',
    run: (t) =>
      withSession(t, async (s) => [
        await s.run({ text: 'SELECT $1', values: ['x'] }),
        await s.run({ text: 'SELECT $1::int', values: [1, 2] }),
        await s.run({ text: 'SELECT $1::int + $2::int', values: [1] }),
        await s.run({ text: 'SELECT $1::int', values: [1] }),
      ]),
    shape: [result('SELECT', 1), failure('08P01'), failure('08P01'), result('SELECT', 1)],
  },
  {
    name: 'a FATAL from the server reaches the client once, and the session is over',
    run: (t) =>
      withSession(t, async (s) => {
        const steps = [
          await s.run("SET idle_in_transaction_session_timeout = '100ms'"),
          await s.run('BEGIN'),
        ];
        await new Promise((resolve) => setTimeout(resolve, 600));
        return [...steps, await s.run('SELECT 1'), s.asyncErrors];
      }),
    shape: [
      result('SET'),
      result('BEGIN'),
      { lost: expect.any(String) },
      // pg reports the server's FATAL, then the connection it closed.
      [{ severity: 'FATAL', code: '25P03' }, { lost: expect.any(String) }],
    ],
  },
];

// The gate's refusal of unparsable text ends with the parser's own message and the rule.
const GATE_PARSE_REFUSAL = /could not parse; .*?: (.*) \(rule parse\)$/s;

/** An error reduced to what the gate keeps of a parser error: code, severity, message, position. */
function parserMessage(observation: Observation): Observation | Partial<ObservedError['error']> {
  if (!('error' in observation)) return observation;
  const { code, severity, message, position } = observation.error;
  return { code, severity, position, message: GATE_PARSE_REFUSAL.exec(message)?.[1] ?? message };
}
