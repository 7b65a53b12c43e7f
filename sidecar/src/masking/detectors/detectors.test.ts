import { describe, expect, it } from '@jest/globals';
import { luhnValid } from './card-detector.js';
import { ibanChecksumValid } from './iban-detector.js';
import { DETECTORS } from './index.js';
import { PEM_KEY, SECRET_SHAPES, type Shape } from './secret-detector.js';
import type { ValueDetector } from '@portcullis/crds';

function found(detector: ValueDetector, text: string): string[] {
  return DETECTORS[detector](text).map((m) => text.slice(m.start, m.end));
}

const jwtHeader = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
const jwtBody = Buffer.from('{"sub":"alice"}').toString('base64url');
const jwt = `${jwtHeader}.${jwtBody}.c2lnbmF0dXJlLWJ5dGVz`;

describe('credit card detector', () => {
  it.each([
    ['4111111111111111', '4111111111111111'],
    ['card 4111 1111 1111 1111 on file', '4111 1111 1111 1111'],
    ['5555-5555-5555-4444', '5555-5555-5555-4444'],
    ['amex 378282246310005.', '378282246310005'],
    ['6011111111111117', '6011111111111117'],
  ])('finds %j', (text, expected) => {
    expect(found('credit_card', text)).toEqual([expected]);
  });

  it.each([
    ['Luhn fails', '4111111111111112'],
    ['too short', '411111111111'],
    ['too long', '41111111111111111111'],
    ['order numbers starting with 1', '1234567812345670'],
    ['part of a longer digit run', '94111111111111111'],
    ['double separators', '4111  1111  1111  1111'],
  ])('ignores %s', (_why, text) => {
    expect(found('credit_card', text)).toEqual([]);
  });

  it('checks Luhn the standard way', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
  });
});

describe('IBAN detector', () => {
  it.each([
    ['DE89370400440532013000', 'DE89370400440532013000'],
    ['pay to GB82 WEST 1234 5698 7654 32 today', 'GB82 WEST 1234 5698 7654 32'],
    ['nl91abna0417164300', 'nl91abna0417164300'],
    ['FR1420041010050500013M02606', 'FR1420041010050500013M02606'],
  ])('finds %j', (text, expected) => {
    expect(found('iban', text)).toEqual([expected]);
  });

  it.each([
    ['a wrong check digit', 'DE88370400440532013000'],
    ['a wrong length for the country', 'DE8937040044053201300'],
    ['an unknown country', 'ZZ89370400440532013000'],
    ['a product code', 'AB12CDEFGHIJKLMNOP'],
  ])('ignores %s', (_why, text) => {
    expect(found('iban', text)).toEqual([]);
  });

  it('computes the mod-97 checksum', () => {
    expect(ibanChecksumValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanChecksumValid('GB82WEST12345698765433')).toBe(false);
  });
});

describe('email detector', () => {
  it.each([
    ['alice@example.com', 'alice@example.com'],
    ['mail <bob.smith+tag@mail.example.co.uk>', 'bob.smith+tag@mail.example.co.uk'],
  ])('finds %j', (text, expected) => {
    expect(found('email', text)).toEqual([expected]);
  });

  it.each([
    ['no domain dot', 'alice@localhost'],
    ['no local part', '@example.com'],
    ['a handle', 'ping @alice please'],
    ['a numeric TLD', 'a@1.2.3.4'],
  ])('ignores %s', (_why, text) => {
    expect(found('email', text)).toEqual([]);
  });
});

describe('US SSN detector', () => {
  it.each([
    ['123-45-6789', '123-45-6789'],
    ['ssn 078 05 1120.', '078 05 1120'],
  ])('finds %j', (text, expected) => {
    expect(found('us_ssn', text)).toEqual([expected]);
  });

  it.each([
    ['area 000', '000-12-3456'],
    ['area 666', '666-12-3456'],
    ['area 9xx', '912-12-3456'],
    ['group 00', '123-00-4567'],
    ['serial 0000', '123-45-0000'],
    ['nine bare digits', '123456789'],
    ['mixed separators', '123-45 6789'],
    ['a date', '2024-01-15'],
  ])('ignores %s', (_why, text) => {
    expect(found('us_ssn', text)).toEqual([]);
  });
});

describe('phone detector', () => {
  it.each([
    ['+14155550123', '+14155550123'],
    ['call +44 20 7946 0958 now', '+44 20 7946 0958'],
    ['+1 (415) 555-0123', '+1 (415) 555-0123'],
    ['(415) 555-0123', '(415) 555-0123'],
    ['415-555-0123', '415-555-0123'],
    ['415.555.0123', '415.555.0123'],
    ['020 7946 0958', '020 7946 0958'],
  ])('finds %j', (text, expected) => {
    expect(found('phone', text)).toEqual([expected]);
  });

  it.each([
    ['bare digits', '4155550123'],
    ['an amount', '1234567.89'],
    ['a date', '2024-01-15'],
    ['a timestamp', '2024-01-15 10:30:00'],
    ['an IP address', '192.168.100.200'],
    ['a short plus number', '+12345'],
    ['area code starting with 1', '123-555-0123'],
    ['a version string', '4.15.555.0123'],
  ])('ignores %s', (_why, text) => {
    expect(found('phone', text)).toEqual([]);
  });
});

describe('secret detector', () => {
  const pem = [
    '-----BEGIN RSA PRIVATE KEY-----',
    'MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu',
    '-----END RSA PRIVATE KEY-----',
  ].join('\n');

  it.each([
    ['a JWT', `Bearer ${jwt}`, jwt],
    ['an AWS access key id', 'key=AKIAIOSFODNN7EXAMPLE;', 'AKIAIOSFODNN7EXAMPLE'],
    ['a Stripe live key', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'],
    [
      'a GitHub token',
      'ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R',
      'ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R',
    ],
    ['a PEM private key', `x\n${pem}\ny`, pem],
    [
      'a long hex key',
      'k 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    ],
    [
      'a long random base64 key',
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    ],
  ])('finds %s', (_what, text, expected) => {
    expect(found('secret', text)).toEqual([expected]);
  });

  it.each([
    ['dotted words', 'www.example.com'],
    ['a dotted version', 'v1.2.3'],
    ['three parts whose header is not JSON', 'abcdefghij.klmnop.qrstuv'],
    ['an AWS-like id with a bad alphabet', 'AKIAIOSFODNN7EXAMPL1'],
    ['a git object id', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
    ['a UUID', '123e4567-e89b-12d3-a456-426614174000'],
    ['a long snake_case identifier', 'customer_billing_address_line_two_override_flag'],
    ['a PEM public key', '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----'],
    ['a low-entropy hex run', '0'.repeat(64)],
  ])('ignores %s', (_why, text) => {
    expect(found('secret', text)).toEqual([]);
  });

  // findSecrets scans only runs of token characters, and each shape only in runs as long as
  // its shortest match. The plain way, every shape over the whole text, must find the same.
  it('finds in random text exactly what scanning the whole text with every shape finds', () => {
    const pieces = [
      ' ',
      '.',
      '..',
      '-',
      '_',
      '=',
      '/',
      '+',
      ',',
      "'",
      ':',
      '\n',
      'a',
      'Z',
      '7',
      'f0',
      'eyJhbGciOiJIUzI1NiJ9',
      'eyJzdWIiOiJ4In0',
      'AKIA',
      'IOSFODNN7EXAMPLE',
      'sk_live_',
      '4eC39HqLyjWDarjtT1zdp7dc',
      'ghp_',
      'xoxb-',
      '1234567890-abcdef',
      'github_pat_',
      '9fA3kQ7zL2mX8vB4nR6tY1wE5uI0oP',
      'deadbeefcafebabe0123456789abcdef',
      pem,
    ];
    let seed = 20261204;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 3000; round++) {
      let text = '';
      const count = 1 + random(24);
      for (let i = 0; i < count; i++) text += pieces[random(pieces.length)];
      expect(found('secret', text)).toEqual(wholeTextSecrets(text));
    }
  });
});

function wholeTextSecrets(text: string): string[] {
  const shapes: readonly Shape[] = [
    ...SECRET_SHAPES,
    { re: PEM_KEY, minLength: 0, accept: () => true },
  ];
  const spans: { start: number; end: number }[] = [];
  for (const { re, accept } of shapes) {
    for (const m of text.matchAll(new RegExp(re.source, 'g'))) {
      if (accept(m[0])) spans.push({ start: m.index, end: m.index + m[0].length });
    }
  }
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: { start: number; end: number }[] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last !== undefined && span.start < last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged.map((m) => text.slice(m.start, m.end));
}
