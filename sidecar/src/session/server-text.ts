import { ErrorField } from '../wire/message-codes.js';
import { MessageReader } from '../wire/message-reader.js';
import { MessageWriter } from '../wire/message-writer.js';

/** Rewrites one piece of text the server sent, before the client sees it. */
export type TextScrub = (text: string) => string;

// Fields that can quote a data value. The others name things (schema, table, column, data
// type, constraint), locate the server's source code, or are numbers (position), and pass
// unchanged. https://www.postgresql.org/docs/current/protocol-error-fields.html
const VALUE_FIELDS: ReadonlySet<number> = new Set([
  ErrorField.message,
  ErrorField.detail,
  ErrorField.hint,
  ErrorField.where,
  ErrorField.internalQuery,
]);

/**
 * An ErrorResponse or NoticeResponse (type byte code) rebuilt from its body with every field
 * that can quote a value passed through scrub; the other fields keep their text and order.
 */
export function scrubbedFields(code: number, body: Buffer, scrub: TextScrub): Buffer {
  const reader = new MessageReader(body);
  const writer = new MessageWriter();
  // Each field is a type byte and a C string; a zero type byte ends the list.
  while (reader.remaining > 0) {
    const type = reader.byte();
    if (type === 0) break;
    const text = reader.cstring();
    writer.byte(type).cstring(VALUE_FIELDS.has(type) ? scrub(text) : text);
  }
  return writer.byte(0).build(code);
}

/**
 * A NotificationResponse ('A': process id, channel, payload) rebuilt with channel and payload
 * passed through scrub: `pg_notify(channel, payload)` takes both from any expression.
 */
export function scrubbedNotification(code: number, body: Buffer, scrub: TextScrub): Buffer {
  const reader = new MessageReader(body);
  const processId = reader.int32();
  const channel = reader.cstring();
  const payload = reader.cstring();
  return new MessageWriter()
    .int32(processId)
    .cstring(scrub(channel))
    .cstring(scrub(payload))
    .build(code);
}
