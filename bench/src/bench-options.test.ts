import { describe, expect, it } from '@jest/globals';
import { BenchUsageError, parseBenchOptions } from './bench-options.js';

describe('parseBenchOptions', () => {
  it('defaults to five short rounds of every mode against every target', () => {
    expect(parseBenchOptions([], '/tmp/out.json')).toEqual({
      rounds: 5,
      seconds: 3,
      warmupSeconds: 2,
      clients: 8,
      threads: 2,
      scale: 10,
      targets: ['direct', 'pgbouncer', 'node-relay', 'gate', 'gate-enforcing'],
      modes: ['simple', 'extended', 'prepared'],
      streamRounds: 3,
      streamRows: 1_000_000,
      profile: false,
      out: '/tmp/out.json',
    });
  });

  it('reads lists and numbers', () => {
    const options = parseBenchOptions(
      ['--targets', 'direct,gate', '--modes', 'prepared', '--rounds', '5', '--warmup', '0'],
      'x',
    );

    expect(options).toMatchObject({
      targets: ['direct', 'gate'],
      modes: ['prepared'],
      rounds: 5,
      warmupSeconds: 0,
    });
  });

  it('skips the streaming scenario with --stream-rounds 0 and reads its row count', () => {
    const options = parseBenchOptions(['--stream-rounds', '0', '--stream-rows', '5000'], 'x');

    expect(options).toMatchObject({ streamRounds: 0, streamRows: 5000 });
  });

  it.each([
    [['--targets', 'direct,pgpool']],
    [['--stream-rows', '0']],
    [['--stream-rounds', '-1']],
    [['--modes', '']],
    [['--rounds', '0']],
    [['--seconds', '2.5']],
    [['--verbose']],
  ])('refuses %p with the usage', (argv) => {
    expect(() => parseBenchOptions(argv, 'x')).toThrow(BenchUsageError);
    expect(() => parseBenchOptions(argv, 'x')).toThrow(/usage: node bench/);
  });
});
