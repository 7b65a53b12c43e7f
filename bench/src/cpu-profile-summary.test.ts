import { describe, expect, it } from '@jest/globals';
import { formatProfile, summarizeProfile } from './cpu-profile-summary.js';

const frame = (functionName: string, url: string, lineNumber: number) => ({
  functionName,
  url,
  lineNumber,
});

describe('summarizeProfile', () => {
  // Three nodes; samples name the node on top of the stack, timeDeltas the microseconds
  // since the previous sample, so sample i lasts until timeDeltas[i + 1].
  const profile = {
    startTime: 0,
    endTime: 10_000,
    nodes: [
      { id: 1, callFrame: frame('(idle)', '', -1) },
      { id: 2, callFrame: frame('relay', 'file:///w/sidecar/dist/src/session/relay.js', 9) },
      {
        id: 3,
        callFrame: frame('parse', 'file:///w/node_modules/pg-protocol/dist/parser.js', 99),
      },
    ],
    samples: [2, 3, 2, 2, 1, 2],
    timeDeltas: [0, 1000, 3000, 2000, 2000, 4000],
  };

  it('attributes self time to functions and files', () => {
    const summary = summarizeProfile(profile);

    expect(summary.totalMs).toBe(8);
    expect(summary.idleMs).toBe(4);
    expect(summary.files).toEqual([
      { name: 'sidecar/dist/src/session/relay.js', selfMs: 5, share: 5 / 8 },
      { name: 'pg-protocol/dist/parser.js', selfMs: 3, share: 3 / 8 },
    ]);
    expect(summary.functions[0]).toEqual({
      name: 'relay sidecar/dist/src/session/relay.js:10',
      selfMs: 5,
      share: 5 / 8,
    });
  });

  it('prints percentages', () => {
    expect(formatProfile(summarizeProfile(profile, 1))).toContain(
      ' 62.5%        5 ms  sidecar/dist/src/session/relay.js',
    );
  });
});
