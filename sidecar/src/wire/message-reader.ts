import { protocolViolation } from './protocol-violation.js';

/** Reads the fields of one message body in order; running past the end is a protocol error. */
export class MessageReader {
  private position = 0;

  constructor(private readonly body: Buffer) {}

  /** Bytes not read yet. */
  get remaining(): number {
    return this.body.length - this.position;
  }

  byte(): number {
    this.need(1);
    return this.body[this.position++] as number;
  }

  int16(): number {
    this.need(2);
    const value = this.body.readInt16BE(this.position);
    this.position += 2;
    return value;
  }

  int32(): number {
    this.need(4);
    const value = this.body.readInt32BE(this.position);
    this.position += 4;
    return value;
  }

  uint32(): number {
    this.need(4);
    const value = this.body.readUInt32BE(this.position);
    this.position += 4;
    return value;
  }

  /** A NUL-terminated UTF-8 string. */
  cstring(): string {
    const end = this.body.indexOf(0, this.position);
    if (end < 0) throw protocolViolation('unterminated string in message');
    const value = this.body.toString('utf8', this.position, end);
    this.position = end + 1;
    return value;
  }

  /** The next n bytes, as a view. */
  bytes(n: number): Buffer {
    if (n < 0) throw protocolViolation(`negative length ${n} in message`);
    this.need(n);
    const value = this.body.subarray(this.position, this.position + n);
    this.position += n;
    return value;
  }

  /** Everything not read yet, as a view. */
  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  private need(n: number): void {
    if (this.position + n > this.body.length)
      throw protocolViolation('message shorter than its fields');
  }
}
