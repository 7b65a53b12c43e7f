import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { createLogger, LogLevelError } from './logger.js';

/** A destination that keeps every JSON line the logger writes. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes JSON lines with a level label, time and name', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: 'portcullis-sidecar', destination });

    logger.info({ sessionId: 's1' }, 'session started');

    expect(lines[0]).toMatchObject({
      level: 'info',
      name: 'portcullis-sidecar',
      sessionId: 's1',
      msg: 'session started',
    });
    expect(Date.parse(String(lines[0]?.['time']))).not.toBeNaN();
  });

  it('logs from the level the flag sets', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'warn', destination });

    logger.info('hidden');
    logger.warn('shown');

    expect(lines.map((l) => l['msg'])).toEqual(['shown']);
  });

  it('redacts passwords, tokens, authorization headers and claims at any of three depths', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ destination });

    logger.info(
      {
        password: 'p0',
        token: 't0',
        startup: { password: 'p1', user: 'app' },
        session: { auth: { token: 't2' }, identity: { name: 'alice', claims: { email: 'a@b' } } },
        req: { headers: { authorization: 'Bearer t3', host: 'gate' } },
        minter: { secret: 's1' },
      },
      'startup',
    );

    const text = JSON.stringify(lines[0]);
    for (const secret of ['p0', 'p1', 't0', 't2', 'Bearer t3', 's1', 'a@b']) {
      expect(text).not.toContain(`"${secret}"`);
    }
    expect(lines[0]).toMatchObject({
      startup: { user: 'app', password: '[redacted]' },
      session: { identity: { name: 'alice', claims: '[redacted]' } },
      req: { headers: { host: 'gate', authorization: '[redacted]' } },
    });
  });

  it('refuses an unknown level', () => {
    expect(() => createLogger({ level: 'verbose' })).toThrow(LogLevelError);
  });
});
