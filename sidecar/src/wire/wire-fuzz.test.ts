import { describe, expect, it } from '@jest/globals';
import { GateError, SqlState } from '../errors/gate-error.js';
import { readBindValues } from '../recording/bind-values.js';
import * as backend from './backend-decoders.js';
import { FrameReader, type Frame } from './frame-reader.js';
import { readParse, readPassword, readQuery, readStartupPacket } from './frontend-messages.js';
import { FrontendCode, StartupCode } from './message-codes.js';
import { MessageWriter } from './message-writer.js';

// Each property runs for a time budget, not a count, so slow CI machines spend the same wall
// clock. PORTCULLIS_FUZZ_MS lengthens every budget; PORTCULLIS_FUZZ_SEED replays a run.
const BUDGET_MS = Number(process.env.PORTCULLIS_FUZZ_MS ?? 2000);
const SEED = Number(process.env.PORTCULLIS_FUZZ_SEED ?? Date.now() % 2 ** 31);
const TIMEOUT = BUDGET_MS + 30_000;
const MAX_MESSAGE = 4096;

/** A seeded generator (xorshift32 behind a splitmix-style scramble), so failures replay. */
class Random {
  private state: number;

  constructor(seed: number) {
    this.state = (seed ^ 0x9e3779b9) >>> 0 || 1;
  }

  /** A float in [0, 1). */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    const mixed = Math.imul(this.state ^ (this.state >>> 16), 0x45d9f3b) >>> 0;
    return mixed / 2 ** 32;
  }

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }
}

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

const TYPED_CODES = Object.values(FrontendCode);

function typedMessage(random: Random): Buffer {
  return new MessageWriter().bytes(random.bytes(random.int(64))).build(random.pick(TYPED_CODES));
}

/** A header whose length word is malformed: huge, negative, too small, or past the limit. */
function badHeader(random: Random): Buffer {
  const length = random.pick([
    0x7fffffff,
    -1,
    -0x80000000,
    -random.int(1 << 30),
    random.int(4),
    MAX_MESSAGE + 5 + random.int(1 << 20),
  ]);
  const header = Buffer.alloc(5);
  header[0] = random.pick(TYPED_CODES);
  header.writeInt32BE(length, 1);
  return header;
}

/** A stream of typed messages with garbage, bad headers and a possible truncation mixed in. */
function typedStream(random: Random): { bytes: Buffer; clean: boolean } {
  const parts: Buffer[] = [];
  let clean = true;
  for (let n = random.int(12); n >= 0; n--) {
    const choice = random.next();
    if (choice < 0.6) parts.push(typedMessage(random));
    else if (choice < 0.75) parts.push(badHeader(random));
    else if (choice < 0.9) parts.push(random.bytes(1 + random.int(40)));
    else parts.push(typedMessage(random).subarray(0, 1 + random.int(8)));
    if (choice >= 0.6) clean = false;
  }
  return { bytes: Buffer.concat(parts), clean };
}

/** Splits bytes into random chunks, as TCP may deliver them. */
function chunks(random: Random, bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = random.next() < 0.3 ? 1 : 1 + random.int(bytes.length);
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
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
        const { bytes, clean } = typedStream(random);
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
        const pieces = chunks(random, Buffer.concat([first, typedStream(random).bytes]));
        reader.push(pieces.shift() ?? Buffer.alloc(0));
        for (const piece of pieces) reader.push(piece);

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

/** A first packet: a real startup, SSL, GSSENC or cancel request, or a malformed one. */
function startupPacket(random: Random): Buffer {
  const writer = new MessageWriter();
  const choice = random.next();
  if (choice < 0.35) {
    writer.int32(StartupCode.protocol3);
    for (let n = random.int(4); n > 0; n--) writer.cstring(`p${random.int(9)}`).cstring('v');
    if (random.next() < 0.8) writer.byte(0);
  } else if (choice < 0.45) {
    writer.int32(random.pick([StartupCode.sslRequest, StartupCode.gssEncRequest]));
  } else if (choice < 0.55) {
    writer.int32(StartupCode.cancelRequest).int32(random.int(1 << 30));
    if (random.next() < 0.7) writer.int32(random.int(1 << 30) - (1 << 29));
  } else if (choice < 0.8) {
    // A protocol version the gate does not speak (2.0, 4.0, garbage), then anything.
    writer.int32(random.pick([2 << 16, 4 << 16, random.int(2 ** 31), -random.int(2 ** 31)]));
    writer.bytes(random.bytes(random.int(30)));
  } else {
    // A length word out of bounds: below 8, negative, or past PostgreSQL's 10 000 bytes.
    const header = Buffer.alloc(8);
    header.writeInt32BE(random.pick([0, 4, 7, -8, -0x80000000, 10_001, 0x7fffffff]), 0);
    header.writeInt32BE(StartupCode.protocol3, 4);
    return header;
  }
  return writer.build();
}

/** A body changed by a few edits: truncation, flipped bytes, inserted garbage, or random. */
function mutated(random: Random, body: Buffer): Buffer {
  if (random.next() < 0.15) return random.bytes(random.int(48));
  let out = Buffer.from(body);
  for (let n = random.int(4); n > 0; n--) {
    const at = random.int(out.length + 1);
    const choice = random.next();
    if (choice < 0.3) out = out.subarray(0, at);
    else if (choice < 0.6 && out.length > 0) out[at % out.length] = random.int(256);
    else if (choice < 0.8)
      out = Buffer.concat([out.subarray(0, at), random.bytes(1 + random.int(6)), out.subarray(at)]);
    else if (out.length >= at + 4) out.writeInt32BE(random.pick([-2, -1, 0x7fffffff, 0x8000]), at);
  }
  return out;
}

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
