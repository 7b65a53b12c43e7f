import { FrontendCode, StartupCode } from '../../src/wire/message-codes.js';
import { MessageWriter } from '../../src/wire/message-writer.js';

// Malformed PostgreSQL wire input for the fuzz tests (the frame reader's and a running gate's),
// from a seeded generator so that a failing run can be replayed with its seed.

/** Budget per property and seed: PORTCULLIS_FUZZ_MS lengthens, PORTCULLIS_FUZZ_SEED replays. */
export function fuzzSettings(defaultMs: number): { budgetMs: number; seed: number } {
  return {
    budgetMs: Number(process.env.PORTCULLIS_FUZZ_MS ?? defaultMs),
    seed: Number(process.env.PORTCULLIS_FUZZ_SEED ?? Date.now() % 2 ** 31),
  };
}

/** A seeded generator (xorshift32 behind a splitmix-style scramble), so failures replay. */
export class Random {
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

/** Every frontend message type byte. */
export const TYPED_CODES = Object.values(FrontendCode);

/** A well-framed message of a random frontend type with a random body. */
export function typedMessage(random: Random): Buffer {
  return new MessageWriter().bytes(random.bytes(random.int(64))).build(random.pick(TYPED_CODES));
}

/** A header whose length word is malformed: huge, negative, too small, or past the limit. */
export function badHeader(random: Random, limit: number): Buffer {
  const length = random.pick([
    0x7fffffff,
    -1,
    -0x80000000,
    -random.int(1 << 30),
    random.int(4),
    limit + 5 + random.int(1 << 20),
  ]);
  const header = Buffer.alloc(5);
  header[0] = random.pick(TYPED_CODES);
  header.writeInt32BE(length, 1);
  return header;
}

/** A stream of typed messages with garbage, bad headers and a possible truncation mixed in. */
export function typedStream(random: Random, limit: number): { bytes: Buffer; clean: boolean } {
  const parts: Buffer[] = [];
  let clean = true;
  for (let n = random.int(12); n >= 0; n--) {
    const choice = random.next();
    if (choice < 0.6) parts.push(typedMessage(random));
    else if (choice < 0.75) parts.push(badHeader(random, limit));
    else if (choice < 0.9) parts.push(random.bytes(1 + random.int(40)));
    else parts.push(typedMessage(random).subarray(0, 1 + random.int(8)));
    if (choice >= 0.6) clean = false;
  }
  return { bytes: Buffer.concat(parts), clean };
}

/** Splits bytes into random chunks, as TCP may deliver them. */
export function chunks(random: Random, bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = random.next() < 0.3 ? 1 : 1 + random.int(bytes.length);
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

/** A first packet: a real startup, SSL, GSSENC or cancel request, or a malformed one. */
export function startupPacket(random: Random): Buffer {
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
export function mutated(random: Random, body: Buffer): Buffer {
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

/** Bodies of well-formed frontend messages, by type byte, for mutatedFrontendMessage. */
const FRONTEND_BODIES: readonly [number, (random: Random) => Buffer][] = [
  [FrontendCode.query, () => new MessageWriter().cstring('select 1').build()],
  [
    FrontendCode.parse,
    (r) =>
      new MessageWriter()
        .cstring(r.pick(['', 's1']))
        .cstring('select $1::int')
        .int16(1)
        .int32(23)
        .build(),
  ],
  [
    FrontendCode.bind,
    (r) =>
      new MessageWriter()
        .cstring('')
        .cstring(r.pick(['', 's1']))
        .int16(1)
        .int16(r.int(2))
        .int16(1)
        .int32(1)
        .bytes(Buffer.from('7'))
        .int16(1)
        .int16(r.int(2))
        .build(),
  ],
  [FrontendCode.execute, (r) => new MessageWriter().cstring('').int32(r.int(3)).build()],
  [
    FrontendCode.describe,
    (r) =>
      new MessageWriter()
        .byte(r.pick([0x53, 0x50]))
        .cstring('')
        .build(),
  ],
  [
    FrontendCode.close,
    (r) =>
      new MessageWriter()
        .byte(r.pick([0x53, 0x50]))
        .cstring('s1')
        .build(),
  ],
  [
    FrontendCode.functionCall,
    () => new MessageWriter().int32(1299).int16(0).int16(0).int16(0).build(),
  ],
  [FrontendCode.copyData, (r) => new MessageWriter().bytes(r.bytes(r.int(20))).build()],
  [FrontendCode.copyFail, () => new MessageWriter().cstring('no').build()],
  [FrontendCode.copyDone, () => new MessageWriter().build()],
  [FrontendCode.sync, () => new MessageWriter().build()],
  [FrontendCode.flush, () => new MessageWriter().build()],
];

/**
 * A frontend message whose framing is right and whose body is mutated: it passes the frame
 * reader and reaches the session's own decoding of Parse, Bind, Describe and the rest.
 */
export function mutatedFrontendMessage(random: Random): Buffer {
  const [code, body] = random.pick(FRONTEND_BODIES);
  // build() without a code gives length word + body; the body starts after the length word.
  const inner = mutated(random, body(random).subarray(4));
  return new MessageWriter().bytes(inner).build(code);
}
