import { hash } from 'node:crypto';

// SHA-256 round constants and initial hash value (FIPS 180-4, sections 4.2.2 and 5.3.3).
// prettier-ignore
const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
// prettier-ignore
const IV = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const BLOCK = 64;
const DIGEST = 32;
// A value this long or shorter fits one block with its 0x80 marker and 64-bit bit length.
const ONE_BLOCK_VALUE = BLOCK - 9;

/**
 * HMAC-SHA-256 (RFC 2104) for short values at the speed masking needs. The SHA-256 states after
 * the key pads are computed once, so a value up to 55 bytes costs two compressions in plain
 * JavaScript (no native call, no allocation); longer values go through node:crypto.
 */
export class KeyedHasher {
  private readonly innerState = new Int32Array(8);
  private readonly outerState = new Int32Array(8);
  private readonly innerPad = Buffer.alloc(BLOCK);
  private readonly outerPad = Buffer.alloc(BLOCK);
  private readonly state = new Int32Array(8);
  private readonly w = new Int32Array(64);

  constructor(key: Buffer) {
    // Keys longer than a block are hashed first; shorter ones are zero-padded.
    const block = Buffer.alloc(BLOCK);
    (key.length > BLOCK ? hash('sha256', key, 'buffer') : key).copy(block);
    for (let i = 0; i < BLOCK; i++) {
      this.innerPad[i] = block[i]! ^ 0x36;
      this.outerPad[i] = block[i]! ^ 0x5c;
    }
    this.innerState.set(IV);
    this.loadBlock(this.innerPad);
    compress(this.innerState, this.w);
    this.outerState.set(IV);
    this.loadBlock(this.outerPad);
    compress(this.outerState, this.w);
  }

  /** The HMAC-SHA-256 digest of the value's bytes. */
  digest(value: Buffer | string): Buffer {
    const bytes = typeof value === 'string' ? Buffer.from(value) : value;
    if (bytes.length > ONE_BLOCK_VALUE) return this.nativeDigest(bytes);
    this.run(bytes);
    const out = Buffer.allocUnsafe(DIGEST);
    for (let t = 0; t < 8; t++) out.writeInt32BE(this.state[t]!, 4 * t);
    return out;
  }

  /** The first `words` 32-bit words of the digest as lowercase hex. */
  hex(value: Buffer | string, words: number): string {
    const out = Buffer.allocUnsafe(8 * words);
    this.writeHex(value, words, out, 0);
    return out.toString('latin1');
  }

  /** Writes the first `words` 32-bit words of the digest as lowercase hex ASCII into `out`. */
  writeHex(value: Buffer | string, words: number, out: Buffer, offset: number): void {
    const bytes = typeof value === 'string' ? Buffer.from(value) : value;
    if (bytes.length > ONE_BLOCK_VALUE) {
      out.write(this.nativeDigest(bytes).toString('hex', 0, 4 * words), offset, 'latin1');
      return;
    }
    this.run(bytes);
    let at = offset;
    for (let t = 0; t < words; t++) {
      const word = this.state[t]!;
      for (let shift = 28; shift >= 0; shift -= 4) out[at++] = HEX_DIGITS[(word >>> shift) & 15]!;
    }
  }

  // Inner hash: the value, 0x80, zeros, and the bit length of pad + value in one block. Outer
  // hash: the inner digest, 0x80, zeros, and the bit length of pad + digest (768).
  private run(bytes: Buffer): void {
    const w = this.w;
    w.fill(0, 0, 16);
    const n = bytes.length;
    for (let i = 0; i < n; i++) w[i >> 2]! |= bytes[i]! << (24 - 8 * (i & 3));
    w[n >> 2]! |= 0x80 << (24 - 8 * (n & 3));
    w[15] = (BLOCK + n) * 8;
    this.state.set(this.innerState);
    compress(this.state, w);

    for (let t = 0; t < 8; t++) w[t] = this.state[t]!;
    w[8] = 0x80000000 | 0;
    w.fill(0, 9, 15);
    w[15] = (BLOCK + DIGEST) * 8;
    this.state.set(this.outerState);
    compress(this.state, w);
  }

  private nativeDigest(bytes: Buffer): Buffer {
    const inner = hash('sha256', Buffer.concat([this.innerPad, bytes]), 'buffer');
    return hash('sha256', Buffer.concat([this.outerPad, inner]), 'buffer');
  }

  private loadBlock(block: Buffer): void {
    for (let t = 0; t < 16; t++) this.w[t] = block.readInt32BE(4 * t);
  }
}

// The SHA-256 compression function over the 16 words in w[0..15] (FIPS 180-4, 6.2.2).
function compress(state: Int32Array, w: Int32Array): void {
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15]!;
    const y = w[t - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let t = 0; t < 64; t++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[t]! + w[t]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}
