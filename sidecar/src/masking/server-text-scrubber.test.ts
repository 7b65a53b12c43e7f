import { describe, expect, it } from '@jest/globals';
import { scrubServerText } from './server-text-scrubber.js';

describe('scrubServerText', () => {
  it.each([
    [
      'invalid input syntax for type integer: "Alice Smith"',
      'invalid input syntax for type integer: "********"',
    ],
    [
      'value "99999999999" is out of range for type integer',
      'value "********" is out of range for type integer',
    ],
    ['Key (email)=(bob) already exists.', 'Key (email)=(********) already exists.'],
    [
      'Key (customer_id)=(5) is not present in table "customers".',
      'Key (customer_id)=(********) is not present in table "customers".',
    ],
    ['Failing row contains (1, bob, null).', 'Failing row contains (********).'],
    ['Token "bob" is invalid.', 'Token "********" is invalid.'],
    ['JSON data, line 1: bob...', 'JSON data, line 1: ********'],
  ])('redacts the value in %j for statements on classified data', (text, expected) => {
    expect(scrubServerText(text, true)).toBe(expected);
  });

  it('keeps messages that hold no value', () => {
    const text = 'relation "customers" does not exist';
    expect(scrubServerText(text, true)).toBe(text);
    expect(scrubServerText('division by zero', true)).toBe('division by zero');
  });

  it('always redacts what a detector recognises, and only that when not strict', () => {
    expect(
      scrubServerText('invalid input syntax for type integer: "alice@example.com"', false),
    ).toBe('invalid input syntax for type integer: "********"');
    expect(scrubServerText('invalid input syntax for type integer: "Alice"', false)).toBe(
      'invalid input syntax for type integer: "Alice"',
    );
  });
});
