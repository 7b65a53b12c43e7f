/**
 * Builds one protocol message: a type byte (none for startup-phase packets), an Int32 length
 * that counts itself but not the type byte, then the body. Also the wire-fixture builder of
 * the tests.
 */
export class MessageWriter {
  private parts: Buffer[] = [];
  private size = 0;

  /** Appends a big-endian Int32. */
  int32(value: number): this {
    const part = Buffer.allocUnsafe(4);
    part.writeInt32BE(value);
    return this.push(part);
  }

  /** Appends a big-endian Int16. */
  int16(value: number): this {
    const part = Buffer.allocUnsafe(2);
    part.writeInt16BE(value);
    return this.push(part);
  }

  /** Appends one byte. */
  byte(value: number): this {
    return this.push(Buffer.from([value]));
  }

  /** Appends a NUL-terminated UTF-8 string. */
  cstring(value: string): this {
    return this.push(Buffer.from(`${value}\0`, 'utf8'));
  }

  /** Appends raw bytes. */
  bytes(value: Buffer): this {
    return this.push(value);
  }

  /** The message with type byte code, or a startup-phase packet when code is undefined. */
  build(code?: number): Buffer {
    const header = Buffer.allocUnsafe(code === undefined ? 4 : 5);
    if (code === undefined) {
      header.writeInt32BE(this.size + 4);
    } else {
      header[0] = code;
      header.writeInt32BE(this.size + 4, 1);
    }
    return Buffer.concat([header, ...this.parts], header.length + this.size);
  }

  private push(part: Buffer): this {
    this.parts.push(part);
    this.size += part.length;
    return this;
  }
}
