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
      // The table's name goes with every quoted text; field t still names it.
      'Key (customer_id)=(********) is not present in table "********".',
    ],
    ['Failing row contains (1, bob, null).', 'Failing row contains (********).'],
    ['Token "bob" is invalid.', 'Token "********" is invalid.'],
    ['JSON data, line 1: bob...', 'JSON data, line 1: ********'],
  ])('redacts the value in %j for statements on classified data', (text, expected) => {
    expect(scrubServerText(text, true)).toBe(expected);
  });

  it.each([
    [
      'unrecognized configuration parameter "Ada Lovelace"',
      'unrecognized configuration parameter "********"',
    ],
    ['time zone "Ada Lovelace" not recognized', 'time zone "********" not recognized'],
    ['schema "ada@example" does not exist', 'schema "********" does not exist'],
    ['invalid value "Ada " for "YYYY"', 'invalid value "********"'],
    ['"A" is not a valid binary digit', '"********" is not a valid binary digit'],
    ['Token ""Ada Lovelace" is invalid.', 'Token "********" is invalid.'],
    ['time zone "Ada "x" Lovelace" not recognized', 'time zone "********" not recognized'],
    [
      "line 1: Start tag expected, '<' not found\nAda Lovelace\n^",
      "line 1: Start tag expected, '********' not found\n********",
    ],
    ["SELECT 'Ada Lovelace'::int + 1", "SELECT '********'::int + 1"],
    ["SELECT E'Ada\\'s', 'x' || $q$Ada Lovelace$q$", "SELECT E'********' || ********"],
  ])('redacts any quoted text and echoed lines in %j when strict', (text, expected) => {
    expect(scrubServerText(text, true)).toBe(expected);
  });

  it('keeps messages that hold no value', () => {
    expect(scrubServerText('division by zero', true)).toBe('division by zero');
    const text = 'relation "customers" does not exist';
    expect(scrubServerText(text, false)).toBe(text);
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
