import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { pino } from 'pino';
import { replayLines } from './replay.js';
import { RecordWriter } from './record-writer.js';
import { SessionRecorder } from './session-recorder.js';

const logger = pino({ level: 'silent' });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-record-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('RecordWriter', () => {
  it('appends one JSON line per event and flushes them on close', async () => {
    const file = join(dir, 'r.jsonl');
    await writeFile(
      file,
      '{"ts":"2026-01-01T00:00:00.000Z","session":"old","type":"session_end"}\n',
    );
    const writer = new RecordWriter({ file, logger });
    const recorder = new SessionRecorder({
      sink: writer,
      session: 'abc',
      includeRows: true,
      classifiedTables: new Set(['public.customers']),
    });
    recorder.emit('session_start', { dataSource: 'db' });
    recorder.statement({
      protocol: 'simple',
      text: "SELECT * FROM public.customers WHERE email = 'ada@example.com'",
      tables: ['public.customers'],
      decision: 'allowed',
    });
    recorder.parameters('', [{ format: 0, value: Buffer.from('x') }, null], ['public.customers']);
    recorder.parameters('', [{ format: 0, value: Buffer.from('call +1 415 555 0100') }], []);
    recorder.rows([[Buffer.from('***'), null]], [0, 0]);
    await writer.close();

    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(6);
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events[0]?.session).toBe('old');
    expect(events[2]?.text).toBe("SELECT * FROM public.customers WHERE email = '[redacted]'");
    expect(events[3]?.values).toEqual(['[redacted]', null]);
    expect(events[4]?.values).toEqual(['call [phone]']);
    expect(events[5]?.rows).toEqual([['***', null]]);
    // Each written line is marked as a recording line, ahead of its own fields.
    expect(lines.slice(1).every((line) => line.startsWith('{"recording":true,"ts":'))).toBe(true);
  });

  it('drops events past its buffer bound while the output is stuck, then says how many', async () => {
    let release!: () => void;
    const chunks: string[] = [];
    const slow = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString());
        if (chunks.length === 1) release = callback;
        else callback();
      },
    });
    const writer = new RecordWriter({ logger, maxBufferedBytes: 200 }, slow);
    const event = { ts: new Date().toISOString(), session: 's', type: 'statement' as const };
    for (let i = 0; i < 50; i++) writer.write({ ...event, n: i });
    release();
    await writer.close();
    const gap = chunks
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { type: string; dropped?: number });
    const reported = gap.find((e) => e.type === 'recording_gap');
    expect(reported?.dropped).toBeGreaterThan(0);
    expect(gap.filter((e) => e.type === 'statement').length + (reported?.dropped ?? 0)).toBe(50);
  });
});

describe('RecordWriter.behind', () => {
  it('says when the output is behind and calls back once it caught up', async () => {
    let release!: () => void;
    const slow = new Writable({
      highWaterMark: 64,
      write(_chunk: Buffer, _encoding, callback) {
        release = callback;
      },
    });
    const writer = new RecordWriter({ logger }, slow);
    expect(writer.behind(() => undefined)).toBe(false);
    const event = { ts: new Date().toISOString(), session: 's', type: 'rows' as const };
    for (let i = 0; i < 5; i++) writer.write({ ...event, rows: [['x'.repeat(20)]] });

    let resumed = 0;
    expect(writer.behind(() => resumed++)).toBe(true);
    expect(writer.behind(() => resumed++)).toBe(true);
    const drained = new Promise((resolve) => slow.once('drain', resolve));
    // Let the stream take each buffered write in turn.
    while (slow.writableLength > 0) {
      release();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await drained;
    expect(resumed).toBe(2);
    expect(writer.behind(() => resumed++)).toBe(false);
  });
});

describe('replayLines', () => {
  it('keeps the events of a stream where log lines sit between them, as in a pod log', async () => {
    const podLog = new PassThrough();
    const log = pino({ base: { name: 'portcullis-sidecar' } }, podLog);
    const writer = new RecordWriter({ logger }, podLog);
    log.info('gate ready');
    const recorder = new SessionRecorder({
      sink: writer,
      session: 'cccccccc-3',
      includeRows: false,
      classifiedTables: new Set(),
    });
    recorder.emit('session_start', { dataSource: 'shop-db' });
    // A log line about the session carries session and type fields of its own.
    log.info({ session: 'cccccccc-3', type: 'statement', ts: 'x' }, 'statement refused');
    recorder.emit('session_end', { reason: 'client left' });
    await writer.close();
    podLog.end('Warning: not JSON\n');

    const lines: string[] = [];
    for await (const line of replayLines(podLog)) lines.push(line);
    expect(lines.map((l) => l.replace(/^\S+ \S+ {2}/, ''))).toEqual([
      'cccccccc  session started on shop-db',
      'cccccccc  session ended: client left',
      'line 5: not a recording event',
      '(2 JSON lines that are not recording events, such as logs, skipped)',
    ]);
  });

  it('prints each event as a line of the timeline and keeps one session on request', async () => {
    const file = join(dir, 'r.jsonl');
    const at = '2026-12-03T10:00:00.000Z';
    const events = [
      { ts: at, session: 'aaaaaaaa-1', type: 'session_start', dataSource: 'shop-db' },
      {
        ts: at,
        session: 'aaaaaaaa-1',
        type: 'statement',
        protocol: 'simple',
        decision: 'refused',
        rule: 'guardrails.deny[0]',
        text: 'DROP TABLE x',
      },
      {
        ts: at,
        session: 'bbbbbbbb-2',
        type: 'result',
        tag: 'SELECT 3',
        rows: 3,
        masked: { 'masking.rules[0]': 3 },
      },
      { ts: at, session: 'aaaaaaaa-1', type: 'error', sqlstate: '42501', message: 'refused' },
    ];
    await writeFile(file, `${events.map((e) => JSON.stringify(e)).join('\n')}\nnot json\n`);

    const all: string[] = [];
    for await (const line of replayLines(file)) all.push(line);
    expect(all).toEqual([
      '2026-12-03 10:00:00.000  aaaaaaaa  session started on shop-db',
      '2026-12-03 10:00:00.000  aaaaaaaa  refused by guardrails.deny[0] simple: DROP TABLE x',
      '2026-12-03 10:00:00.000  bbbbbbbb    -> SELECT 3, 3 rows, masked masking.rules[0]: 3',
      '2026-12-03 10:00:00.000  aaaaaaaa    error 42501: refused',
      'line 5: not a recording event',
    ]);

    const one: string[] = [];
    for await (const line of replayLines(file, { session: 'bbbb' })) one.push(line);
    expect(one).toHaveLength(2);
    expect(one[0]).toContain('SELECT 3');
  });
});
