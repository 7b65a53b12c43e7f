import { asArray, asObject, constantText, unwrapNode } from './parse-node.js';
import { ClassifyError } from './tree-walker.js';

// The two settings that change how the server splits text into tokens. libpg-query reads
// text as UTF-8 with standard_conforming_strings on; with the setting off, '\' escapes a
// quote, and `SELECT '\', 'x; DELETE FROM t; --'` is one harmless SELECT to the gate but a
// DELETE to the server. A client encoding such as SJIS hides a backslash inside a character.
const SAFE_VALUES: Record<string, readonly string[]> = {
  standard_conforming_strings: ['on', 'true', 'yes', '1'],
  client_encoding: ['utf8', 'utf-8', 'unicode'],
};

/**
 * The settings whose change would make the server read text differently from the gate.
 * NOTE: changes the gate never sees (startup-packet options, ALTER ROLE/DATABASE defaults set
 * elsewhere, a function that calls set_config inside) still move the server; the session has
 * to check both in the startup packet and in every ParameterStatus the server sends.
 */
export const PARSER_SETTINGS: readonly string[] = Object.keys(SAFE_VALUES);

function settingValue(args: unknown): string | undefined {
  const [first, ...rest] = asArray(args);
  if (rest.length > 0) return undefined;
  const text = constantText(first);
  if (text !== undefined) return text.toLowerCase();
  // An integer constant; libpg-query leaves out an ival of 0.
  const constant = unwrapNode(first);
  if (constant?.type !== 'A_Const' || !('ival' in constant.fields)) return undefined;
  const ival = asObject(constant.fields.ival)?.ival ?? 0;
  return typeof ival === 'number' ? String(ival) : undefined;
}

/**
 * Throws ClassifyError when a SET (or a function's SET clause, or ALTER ROLE ... SET) would
 * move a parser setting away from what the gate assumes; SET to the assumed value passes.
 */
export function checkParserSetting(name: string, kind: unknown, args: unknown): void {
  const safe = SAFE_VALUES[name.toLowerCase()];
  if (safe === undefined) return;
  const value = kind === 'VAR_SET_VALUE' ? settingValue(args) : undefined;
  if (value !== undefined && safe.includes(value)) return;
  throw new ClassifyError(
    `changing ${name.toLowerCase()} would make the server read statements differently from the gate`,
  );
}

/**
 * Why a startup parameter or a ParameterStatus value would make the server read statements
 * differently from the gate, or undefined when it would not (or the setting is another one).
 * The session refuses such a startup parameter, and ends the session on such a status.
 */
export function parserSettingProblem(name: string, value: string): string | undefined {
  const safe = SAFE_VALUES[name.toLowerCase()];
  if (safe === undefined || safe.includes(value.trim().toLowerCase())) return undefined;
  return `${name.toLowerCase()} = ${value} would make the server read statements differently from the gate`;
}

/** Throws ClassifyError for set_config of a parser setting, whatever the value. */
export function checkParserSetConfig(setting: string): void {
  if (!PARSER_SETTINGS.includes(setting)) return;
  throw new ClassifyError(
    `set_config of ${setting} would make the server read statements differently from the gate`,
  );
}
