import { describe, expect, it } from '@jest/globals';
import { GateError } from '../errors/gate-error.js';
import { STARTUP_BYPASS_ATTEMPTS } from '../statements/bypass-corpus.js';
import { forwardedStartupParameters, parameterStatusProblem } from './startup-parameters.js';

describe('forwardedStartupParameters', () => {
  it('passes ordinary settings, drops options and replication, and pins UTF8', () => {
    const forwarded = forwardedStartupParameters(
      new Map([
        ['application_name', 'billing'],
        ['client_encoding', 'SQL_ASCII'],
        ['options', '-c role=postgres'],
        ['replication', 'database'],
        ['TimeZone', 'UTC'],
      ]),
    );
    expect(forwarded).toEqual({
      application_name: 'billing',
      client_encoding: 'UTF8',
      TimeZone: 'UTC',
    });
  });

  it.each(STARTUP_BYPASS_ATTEMPTS.map((a) => [a.name, a] as const))(
    'never lets the server read text differently: %s',
    (_name, attempt) => {
      const parameters = new Map(Object.entries(attempt.parameters));
      let forwarded: Record<string, string> | undefined;
      try {
        forwarded = forwardedStartupParameters(parameters);
      } catch (error) {
        expect(error).toBeInstanceOf(GateError);
        expect((error as GateError).sqlstate).toBe('0A000');
        return;
      }
      expect(forwarded.client_encoding).toBe('UTF8');
      expect(forwarded.standard_conforming_strings ?? 'on').toBe('on');
    },
  );
});

describe('parameterStatusProblem', () => {
  it('ends the session when the server reports a parser setting the gate does not use', () => {
    expect(parameterStatusProblem('standard_conforming_strings', 'off')?.severity).toBe('FATAL');
    expect(parameterStatusProblem('client_encoding', 'UTF8')).toBeUndefined();
    expect(parameterStatusProblem('TimeZone', 'Europe/Paris')).toBeUndefined();
  });
});
