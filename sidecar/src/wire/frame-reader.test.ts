import { describe, expect, it } from '@jest/globals';
import { GateError } from '../errors/gate-error.js';
import { FrameReader } from './frame-reader.js';
import { readStartupPacket } from './frontend-messages.js';
import { FrontendCode, StartupCode } from './message-codes.js';
import { MessageWriter } from './message-writer.js';

const query = (sql: string) => new MessageWriter().cstring(sql).build(FrontendCode.query);

describe('FrameReader', () => {
  it('hands out typed messages split across and packed into chunks', () => {
    const reader = new FrameReader({ maxMessageSize: 1024 });
    const bytes = Buffer.concat([query('select 1'), query('select 2')]);
    reader.push(bytes.subarray(0, 3));
    expect(reader.next()).toBeUndefined();
    reader.push(bytes.subarray(3, 20));
    expect(reader.next()?.body.toString()).toBe('select 1\0');
    expect(reader.next()).toBeUndefined();
    reader.push(bytes.subarray(20));
    const second = reader.next();
    expect(second?.code).toBe(FrontendCode.query);
    expect(second?.bytes.equals(query('select 2'))).toBe(true);
    expect(reader.buffered).toBe(0);
  });

  it('reads the untyped startup packet, then typed messages after typed()', () => {
    const reader = new FrameReader({ maxMessageSize: 1024, startup: true });
    const startup = new MessageWriter()
      .int32(StartupCode.protocol3)
      .cstring('user')
      .cstring('app')
      .byte(0)
      .build();
    reader.push(Buffer.concat([startup, query('select 1')]));

    const packet = readStartupPacket(reader.next()!.body);
    expect(packet).toEqual({ kind: 'startup', parameters: new Map([['user', 'app']]) });
    reader.typed();
    expect(reader.next()?.code).toBe(FrontendCode.query);
  });

  it('recognises SSLRequest and CancelRequest', () => {
    const ssl = new MessageWriter().int32(StartupCode.sslRequest).build();
    const cancel = new MessageWriter().int32(StartupCode.cancelRequest).int32(42).int32(-7).build();
    expect(readStartupPacket(ssl.subarray(4))).toEqual({ kind: 'ssl' });
    expect(readStartupPacket(cancel.subarray(4))).toEqual({
      kind: 'cancel',
      processId: 42,
      secretKey: -7,
    });
  });

  it('refuses a message longer than the limit before buffering it', () => {
    const reader = new FrameReader({ maxMessageSize: 16 });
    reader.push(query('select * from a_rather_long_table_name').subarray(0, 5));
    expect(() => reader.next()).toThrow(GateError);
  });

  it('refuses a length word smaller than itself', () => {
    const reader = new FrameReader({ maxMessageSize: 16 });
    reader.push(Buffer.from([FrontendCode.sync, 0, 0, 0, 2]));
    expect(() => reader.next()).toThrow(/invalid message length/);
  });
});
