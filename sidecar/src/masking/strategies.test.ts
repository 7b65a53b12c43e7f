import { describe, expect, it } from '@jest/globals';
import { createHmac, randomBytes } from 'node:crypto';
import { KeyedHasher } from './keyed-hasher.js';
import {
  hashText,
  hashTextBytes,
  partialLayout,
  partialMask,
  partialMaskBytes,
  partialSize,
  REDACTED,
  writePartial,
} from './strategies.js';

const key = Buffer.from('0123456789abcdef0123456789abcdef');

describe('partialMask', () => {
  it.each([
    ['4111111111111234', '************1234'],
    ['4111 1111 1111 1234', '************1234'],
    ['378282246310005', '************0005'],
    ['123-45-6789', '************6789'],
    ['alice@example.com', '***@example.com'],
    ['a.b+c@mail.example.co.uk', '***@mail.example.co.uk'],
  ])('masks %j as %j', (value, expected) => {
    expect(partialMask(value)).toBe(expected);
  });

  it('never reveals the length of a long value', () => {
    expect(partialMask('4'.repeat(13) + '1234')).toHaveLength(partialMask('41111234').length);
  });

  it.each([['1234'], ['secret7'], ['ab-cd-ef'], [''], ['@example.com'], ['a@b@c.com']])(
    'redacts %j whole, being too short or not an email',
    (value) => {
      const masked = partialMask(value);
      expect(masked === REDACTED || masked.startsWith('************')).toBe(true);
      expect(masked).not.toContain('@');
      if (value.replace(/[^A-Za-z0-9]/g, '').length < 8) expect(masked).toBe(REDACTED);
    },
  );
});

describe('hashText', () => {
  it('is deterministic for one key and differs across keys and values', () => {
    const a = hashText(key, 'alice@example.com');
    expect(a).toMatch(/^h:[0-9a-f]{24}$/);
    expect(hashText(key, Buffer.from('alice@example.com'))).toBe(a);
    expect(hashText(key, 'bob@example.com')).not.toBe(a);
    expect(hashText(Buffer.from('another key'), 'alice@example.com')).not.toBe(a);
    const long = 'x'.repeat(100);
    expect(hashTextBytes(new KeyedHasher(key), Buffer.from(long)).toString()).toBe(
      hashText(key, long),
    );
    expect(hashTextBytes(new KeyedHasher(key), Buffer.from('alice@example.com')).toString()).toBe(
      a,
    );
  });
});

describe('KeyedHasher', () => {
  it.each([
    ['a short key and value', Buffer.from('k'), Buffer.from('alice@example.com')],
    ['an empty value', Buffer.from('key'), Buffer.alloc(0)],
    ['a value longer than one block', key, Buffer.alloc(5000, 'x')],
    ['a key longer than the SHA-256 block', Buffer.alloc(100, 'k'), Buffer.from('v')],
  ])('computes standard HMAC-SHA-256 for %s', (_what, k, value) => {
    const expected = createHmac('sha256', k).update(value).digest();
    const hasher = new KeyedHasher(k);
    expect(hasher.digest(value).equals(expected)).toBe(true);
    expect(hasher.digest(value).equals(expected)).toBe(true);
    expect(hasher.hex(value, 3)).toBe(expected.toString('hex', 0, 12));
  });

  it('agrees with node:crypto on every length around the one-block limit, for any key size', () => {
    for (const keyLength of [0, 1, 32, 63, 64, 65, 200]) {
      const k = randomBytes(keyLength);
      const hasher = new KeyedHasher(k);
      for (let length = 0; length <= 130; length++) {
        const value = randomBytes(length);
        const expected = createHmac('sha256', k).update(value).digest('hex');
        expect(hasher.digest(value).toString('hex')).toBe(expected);
      }
    }
  });
});

describe('partialMaskBytes', () => {
  it.each([
    '4111111111111234',
    '4111 1111 1111 1234',
    'alice@example.com',
    'a@b@c.com',
    'short',
    'ünïcödé-1234567890',
    '@example.com',
    'x@.com',
    'x@.example.com',
    'a.b@c',
    'a@b.',
    'a@@b.com',
    '',
  ])('agrees with partialMask on %j', (value) => {
    expect(partialMaskBytes(Buffer.from(value)).toString('utf8')).toBe(partialMask(value));
  });

  it('agrees with partialMask on random values, also in place inside a larger buffer', () => {
    const pieces = ['a', 'Z', '7', '@', '.', '-', ' ', 'é', 'ü', '1234', 'ex', '.com', '@@'];
    let seed = 12;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 5000; round++) {
      let value = '';
      for (let i = random(14); i > 0; i--) value += pieces[random(pieces.length)];
      const expected = partialMask(value);
      expect(partialMaskBytes(Buffer.from(value)).toString('utf8')).toBe(expected);

      // The cell between other bytes, as it sits in a DataRow; written after a prefix.
      const cell = Buffer.from(value);
      const src = Buffer.concat([Buffer.from('@x.y1234'), cell, Buffer.from('9@q.r')]);
      const start = 8;
      const end = start + cell.length;
      const layout = partialLayout(src, start, end);
      const out = Buffer.alloc(3 + partialSize(layout, end), 0x21);
      const written = writePartial(src, start, end, layout, out, 3);
      expect(written).toBe(out.length);
      expect(out.subarray(3).toString('utf8')).toBe(expected);
      expect(out.subarray(0, 3).toString()).toBe('!!!');
    }
  });
});
