import { describe, expect, it } from '@jest/globals';
import { MessageReader } from '../wire/message-reader.js';
import { MessageWriter } from '../wire/message-writer.js';
import { BackendCode } from '../wire/message-codes.js';
import { scrubbedFields, scrubbedNotification } from './server-text.js';

const scrub = (text: string) => `<${text}>`;

/** An ErrorResponse body: type letter and text per field, then the closing zero. */
function fieldsBody(fields: [string, string][]): Buffer {
  const writer = new MessageWriter();
  for (const [type, text] of fields) writer.byte(type.charCodeAt(0)).cstring(text);
  return writer.byte(0).build().subarray(4);
}

function readFields(message: Buffer): [string, string][] {
  const reader = new MessageReader(message.subarray(5));
  const fields: [string, string][] = [];
  for (let type = reader.byte(); type !== 0; type = reader.byte()) {
    fields.push([String.fromCharCode(type), reader.cstring()]);
  }
  expect(reader.remaining).toBe(0);
  return fields;
}

describe('scrubbedFields', () => {
  it('scrubs message, detail, hint, where and internal query, keeping the rest in order', () => {
    const fields: [string, string][] = [
      ['S', 'ERROR'],
      ['V', 'ERROR'],
      ['C', '23505'],
      ['M', 'duplicate key value violates unique constraint "customers_email_key"'],
      ['D', 'Key (email)=(ada@example.com) already exists.'],
      ['H', 'a hint'],
      ['W', 'PL/pgSQL function f() line 3 at RAISE'],
      ['q', "SELECT 'ada@example.com'::int"],
      ['P', '8'],
      ['s', 'public'],
      ['t', 'customers'],
      ['c', 'email'],
      ['n', 'customers_email_key'],
      ['F', 'nbtinsert.c'],
      ['L', '664'],
      ['R', '_bt_check_unique'],
    ];
    const message = scrubbedFields(BackendCode.errorResponse, fieldsBody(fields), scrub);

    expect(message[0]).toBe(BackendCode.errorResponse);
    expect(message.readInt32BE(1)).toBe(message.length - 1);
    const scrubbed = new Set(['M', 'D', 'H', 'W', 'q']);
    expect(readFields(message)).toEqual(
      fields.map(([type, text]) => [type, scrubbed.has(type) ? scrub(text) : text]),
    );
  });

  it('builds a NoticeResponse with its own type byte', () => {
    const body = fieldsBody([
      ['S', 'NOTICE'],
      ['M', 'x'],
    ]);
    const message = scrubbedFields(BackendCode.noticeResponse, body, scrub);
    expect(message[0]).toBe(BackendCode.noticeResponse);
    expect(readFields(message)).toEqual([
      ['S', 'NOTICE'],
      ['M', '<x>'],
    ]);
  });
});

describe('scrubbedNotification', () => {
  it('scrubs channel and payload and keeps the process id', () => {
    const body = new MessageWriter().int32(4242).cstring('leak').cstring('ada@example.com');
    const message = scrubbedNotification(
      BackendCode.notificationResponse,
      body.build().subarray(4),
      scrub,
    );
    const reader = new MessageReader(message.subarray(5));
    expect(message[0]).toBe(BackendCode.notificationResponse);
    expect([reader.int32(), reader.cstring(), reader.cstring()]).toEqual([
      4242,
      '<leak>',
      '<ada@example.com>',
    ]);
    expect(reader.remaining).toBe(0);
  });
});
