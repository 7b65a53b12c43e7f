import { describe, expect, it } from '@jest/globals';
import type { Socket } from 'node:net';
import { OutputBatch } from './output-batch.js';

/** A socket that keeps what each write call got. */
function recordingSocket(): { socket: Socket; writes: Buffer[] } {
  const writes: Buffer[] = [];
  const socket = {
    write: (bytes: Buffer) => writes.push(Buffer.from(bytes)) > 0,
    cork: () => undefined,
    uncork: () => undefined,
  } as unknown as Socket;
  return { socket, writes };
}

describe('OutputBatch', () => {
  it('sends neighbours in one piece of memory as one part, and others in their order', () => {
    const chunk = Buffer.from('AAAABBBBCCCCDDDD');
    const other = Buffer.from('xyz');
    const batch = new OutputBatch();
    batch.add(chunk.subarray(0, 4));
    batch.add(chunk.subarray(4, 8));
    batch.add(chunk.subarray(8, 12));
    batch.add(other);
    // Not the neighbour of the last part: a part of its own even though the memory is shared.
    batch.add(chunk.subarray(12, 16));
    batch.add(chunk.subarray(0, 4));
    expect(batch.empty).toBe(false);
    const { socket, writes } = recordingSocket();
    expect(batch.flushTo(socket)).toBe(true);
    // Small parts in all: copied into one write, in their order.
    expect(writes.map(String)).toEqual(['AAAABBBBCCCCxyzDDDDAAAA']);
    expect(batch.empty).toBe(true);
  });

  it('writes large parts one by one, corked, without copying them', () => {
    const big = Buffer.alloc(20_000, 0x61);
    const batch = new OutputBatch();
    batch.add(big);
    batch.add(Buffer.from('tail'));
    const writes: Buffer[] = [];
    let corked = 0;
    const socket = {
      write: (bytes: Buffer) => writes.push(bytes) > 0,
      cork: () => corked++,
      uncork: () => corked--,
    } as unknown as Socket;
    batch.flushTo(socket);
    expect(writes.length).toBe(2);
    expect(writes[0]).toBe(big);
    expect(String(writes[1])).toBe('tail');
    expect(corked).toBe(0);
  });

  it('writes a single run without corking and nothing when empty', () => {
    const chunk = Buffer.from('abcdef');
    const batch = new OutputBatch();
    const { socket, writes } = recordingSocket();
    expect(batch.flushTo(socket)).toBe(true);
    expect(writes).toEqual([]);
    batch.add(chunk.subarray(0, 3));
    batch.add(chunk.subarray(3));
    batch.flushTo(socket);
    expect(writes.map(String)).toEqual(['abcdef']);
  });
});
