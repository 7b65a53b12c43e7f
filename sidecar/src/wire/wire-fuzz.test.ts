import { describe, expect, it } from '@jest/globals';
import { GateError, SqlState } from '../errors/gate-error.js';
import { readBindValues } from '../recording/bind-values.js';
import * as backend from './backend-decoders.js';
import { FrameReader, type Frame } from './frame-reader.js';
import { readParse, readPassword, readQuery, readStartupPacket } from './frontend-messages.js';
import { MessageWriter } from './message-writer.js';
import {
  chunks,
  fuzzSettings,
  mutated,
  Random,
  startupPacket,
  typedStream,
} from '../../test/support/wire-noise.js';

// Each property runs for a time budget, not a count, so slow CI machines spend the same wall
// clock (see fuzzSettings for lengthening and replaying a run).
const { budgetMs: BUDGET_MS, seed: SEED } = fuzzSettings(2000);
const TIMEOUT = BUDGET_MS + 30_000;
const MAX_MESSAGE = 4096;

/** Runs body until the budget is spent; returns how many times it ran. */
function forBudget(body: (random: Random, run: number) => void, seed = SEED): number {
  const random = new Random(seed);
  const deadline = Date.now() + BUDGET_MS;
  let runs = 0;
  while (Date.now() < deadline) body(random, runs++);
  return runs;
}

/** The only failure a decoder may have: the FATAL 08P01 that ends the session. */
function expectProtocolViolation(error: unknown): void {
  expect(error).toBeInstanceOf(GateError);
  expect((error as GateError).sqlstate).toBe(SqlState.protocolViolation);
  expect((error as GateError).severity).toBe('FATAL');
}

/** Calls decode; it must return or throw the protocol violation, nothing else. */
function decodesOrViolates(decode: () => unknown): 'ok' | 'violation' {
  try {
    decode();
    return 'ok';
  } catch (error) {
    expectProtocolViolation(error);
    return 'violation';
  }
}

/** Checks what a frame claims against its own bytes. */
function expectWellFormed(frame: Frame, headerSize: number): void {
  expect(frame.bytes.length).toBe(frame.body.length + headerSize);
  expect(frame.bytes.readInt32BE(headerSize - 4)).toBe(frame.body.length + 4);
  if (headerSize === 5) {
    expect(frame.code).toBe(frame.bytes[0]);
    expect(frame.body.length).toBeLessThanOrEqual(MAX_MESSAGE);
  }
}

/** Pushes chunks into reader and drains it; returns the frames, or stops at a violation. */
function drain(
  reader: FrameReader,
  pieces: Buffer[],
  headerSize: number,
): { frames: Frame[]; violated: boolean } {
  const frames: Frame[] = [];
  for (const piece of pieces) {
    reader.push(piece);
    for (;;) {
      let frame: Frame | undefined;
      try {
        frame = reader.next();
      } catch (error) {
        expectProtocolViolation(error);
        return { frames, violated: true };
      }
      if (frame === undefined) break;
      expectWellFormed(frame, headerSize);
      frames.push(frame);
    }
  }
  return { frames, violated: false };
}

describe(`wire fuzz (seed ${SEED}, ${BUDGET_MS} ms per property)`, () => {
  it(
    'FrameReader splits any typed stream into well-formed frames or a protocol violation',
    () => {
      const seen = { clean: 0, violated: 0, frames: 0 };
      const runs = forBudget((random) => {
        const { bytes, clean } = typedStream(random, MAX_MESSAGE);
        const reader = new FrameReader({ maxMessageSize: MAX_MESSAGE });
        const { frames, violated } = drain(reader, chunks(random, bytes), 5);
        seen.frames += frames.length;
        if (violated) seen.violated++;

        // A stream of whole messages comes out exactly as it went in, however it was chunked.
        if (clean) {
          seen.clean++;
          expect(violated).toBe(false);
          expect(Buffer.concat(frames.map((f) => f.bytes)).equals(bytes)).toBe(true);
          expect(reader.buffered).toBe(0);
        }
      });
      expect(runs).toBeGreaterThan(100);
      expect(seen.clean).toBeGreaterThan(0);
      expect(seen.violated).toBeGreaterThan(0);
      expect(seen.frames).toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it(
    'the startup phase refuses bad lengths and versions, and decodes what it accepts',
    () => {
      const seen = { startup: 0, ssl: 0, cancel: 0, gssenc: 0, violation: 0 };
      const runs = forBudget((random) => {
        const first = startupPacket(random);
        const reader = new FrameReader({ maxMessageSize: MAX_MESSAGE, startup: true });
        const stream = Buffer.concat([first, typedStream(random, MAX_MESSAGE).bytes]);
        for (const piece of chunks(random, stream)) reader.push(piece);

        let frame: Frame | undefined;
        try {
          frame = reader.next();
        } catch (error) {
          expectProtocolViolation(error);
          seen.violation++;
          return;
        }
        if (frame === undefined) return;
        expectWellFormed(frame, 4);
        expect(frame.body.length + 4).toBeLessThanOrEqual(10_000);
        try {
          seen[readStartupPacket(frame.body).kind]++;
        } catch (error) {
          expectProtocolViolation(error);
          seen.violation++;
        }
        // What follows a startup packet is typed; it must not break the reader either.
        reader.typed();
        drain(reader, [Buffer.alloc(0)], 5);
      });
      expect(runs).toBeGreaterThan(100);
      expect(seen.startup).toBeGreaterThan(0);
      expect(seen.cancel + seen.ssl).toBeGreaterThan(0);
      expect(seen.violation).toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it(
    'every message decoder returns or throws the protocol violation, for any body',
    () => {
      const outcomes = new Map<string, { ok: number; violation: number }>();
      const runs = forBudget((random) => {
        const [name, decode, valid] = random.pick(DECODERS);
        const body = mutated(random, valid(random));
        const outcome = decodesOrViolates(() => decode(body));
        const tally = outcomes.get(name) ?? { ok: 0, violation: 0 };
        tally[outcome]++;
        outcomes.set(name, tally);
      });
      expect(runs).toBeGreaterThan(1000);
      // Each decoder met bodies it read and bodies it refused.
      const oneSided = DECODERS.map(([name]) => name).filter((name) => {
        const tally = outcomes.get(name);
        return tally === undefined || tally.ok === 0 || tally.violation === 0;
      });
      expect(oneSided).toEqual([]);
    },
    TIMEOUT,
  );
});

type Decoder = readonly [string, (body: Buffer) => unknown, (random: Random) => Buffer];

const text = (random: Random) => `t${random.int(1000)}é`;

/** Each decoder with a generator of valid bodies for it (mutated before decoding). */
const DECODERS: readonly Decoder[] = [
  ['Query', readQuery, (r) => new MessageWriter().cstring(text(r)).build().subarray(4)],
  [
    'PasswordMessage',
    readPassword,
    (r) => new MessageWriter().cstring(text(r)).build().subarray(4),
  ],
  [
    'Parse',
    readParse,
    (r) => {
      const writer = new MessageWriter().cstring(text(r)).cstring(text(r));
      const count = r.int(4);
      writer.int16(count);
      for (let i = 0; i < count; i++) writer.int32(r.int(5000));
      return writer.build().subarray(4);
    },
  ],
  [
    'Bind',
    readBindValues,
    (r) => {
      const writer = new MessageWriter().cstring('').cstring(text(r)).int16(1).int16(r.int(2));
      const count = r.int(4);
      writer.int16(count);
      for (let i = 0; i < count; i++) {
        if (r.next() < 0.3) writer.int32(-1);
        else writer.int32(3).bytes(r.bytes(3));
      }
      return writer.int16(0).build().subarray(4);
    },
  ],
  [
    'Authentication',
    (body) => {
      const { code, data } = backend.readAuthentication(body);
      return code === 10 ? backend.readSaslMechanisms(data) : data;
    },
    (r) =>
      new MessageWriter()
        .int32(10)
        .cstring('SCRAM-SHA-256')
        .cstring(text(r))
        .byte(0)
        .build()
        .subarray(4),
  ],
  [
    'ErrorResponse',
    backend.readErrorFields,
    (r) =>
      new MessageWriter()
        .byte(0x53)
        .cstring('ERROR')
        .byte(0x43)
        .cstring('42601')
        .byte(0x4d)
        .cstring(text(r))
        .byte(0)
        .build()
        .subarray(4),
  ],
  [
    'ParameterStatus',
    backend.readParameterStatus,
    (r) => new MessageWriter().cstring('client_encoding').cstring(text(r)).build().subarray(4),
  ],
  [
    'BackendKeyData',
    backend.readBackendKeyData,
    (r) =>
      new MessageWriter()
        .int32(r.int(1 << 30))
        .int32(r.int(1 << 30))
        .build()
        .subarray(4),
  ],
  [
    'RowDescription',
    backend.readRowDescription,
    (r) => {
      const count = r.int(4);
      const writer = new MessageWriter().int16(count);
      for (let i = 0; i < count; i++) {
        writer
          .cstring(text(r))
          .int32(r.int(1 << 20))
          .int16(r.int(9))
          .int32(25)
          .int16(-1);
        writer.int32(-1).int16(r.int(2));
      }
      return writer.build().subarray(4);
    },
  ],
  [
    'DataRow',
    backend.readDataRow,
    (r) => {
      const count = r.int(5);
      const writer = new MessageWriter().int16(count);
      for (let i = 0; i < count; i++) {
        if (r.next() < 0.25) writer.int32(-1);
        else {
          const cell = r.bytes(r.int(12));
          writer.int32(cell.length).bytes(cell);
        }
      }
      return writer.build().subarray(4);
    },
  ],
  [
    'CommandComplete',
    backend.readCommandComplete,
    (r) =>
      new MessageWriter()
        .cstring(`SELECT ${r.int(99)}`)
        .build()
        .subarray(4),
  ],
  ['ReadyForQuery', backend.readReadyForQuery, () => Buffer.from('I')],
];
