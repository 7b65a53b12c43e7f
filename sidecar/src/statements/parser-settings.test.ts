import { STARTUP_BYPASS_ATTEMPTS } from './bypass-corpus.js';
import { parserSettingProblem } from './parser-settings.js';

describe('parserSettingProblem', () => {
  it.each([
    ['client_encoding', 'UTF8'],
    ['client_encoding', 'utf-8'],
    ['client_encoding', 'UNICODE'],
    ['standard_conforming_strings', 'on'],
    ['standard_conforming_strings', 'true'],
    ['DateStyle', 'ISO, MDY'],
  ])('accepts %s = %s', (name, value) => {
    expect(parserSettingProblem(name, value)).toBeUndefined();
  });

  it.each([
    ['client_encoding', 'SJIS'],
    ['client_encoding', 'BIG5'],
    ['standard_conforming_strings', 'off'],
    ['STANDARD_CONFORMING_STRINGS', '0'],
  ])('refuses %s = %s', (name, value) => {
    expect(parserSettingProblem(name, value)).toMatch(/read statements differently/);
  });

  it.each(STARTUP_BYPASS_ATTEMPTS.map((a) => [a.name, a] as const))(
    'flags the startup attempt: %s',
    (_name, attempt) => {
      const problems = Object.entries(attempt.parameters).map(([n, v]) =>
        parserSettingProblem(n, v),
      );
      expect(problems.some((p) => p !== undefined)).toBe(true);
    },
  );
});
