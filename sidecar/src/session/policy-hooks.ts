import { ColumnCatalog } from '../masking/column-catalog.js';
import { resolveHashKey } from '../masking/hash-key.js';
import { maskingSettings } from '../masking/result-plan.js';
import { SessionMasking } from '../masking/session-masking.js';
import { ParseCache } from '../statements/parse-cache.js';
import { createStatementGate } from '../statements/statement-gate.js';
import { initStatementParser, type ParsedStatement } from '../statements/statement-parser.js';
import { VIEW_TABLES_SQL, ViewTables, type ViewTableRow } from '../statements/view-tables.js';
import type { SessionHooks } from './session-hooks.js';

/**
 * The production hooks: every Query, Parse, Bind and FunctionCall checked by the statements
 * module against the session's policy, with one parse cache shared by all sessions, and the
 * tables under each view read from the catalog as the session begins (a rule on a table holds
 * through a view); results masked by the masking module, with one catalog cache per DataSource.
 */
export function policyHooks(cache = new ParseCache()): SessionHooks {
  const catalogs = new Map<string, ColumnCatalog>();
  return {
    statementGate: async (decision, { minter }) => {
      await initStatementParser();
      // One small catalog query per session, so each session sees the views of its start.
      const rows = await minter.catalogQuery(VIEW_TABLES_SQL, []);
      const viewTables = ViewTables.fromRows(rows as unknown as ViewTableRow[]);
      return createStatementGate(decision.policy, { cache, viewTables });
    },
    rowMaskers: () => undefined,
    masking: async (decision, { snapshot, minter, logger }) => {
      const hashKey = resolveHashKey(decision.policy.spec.masking, snapshot.secrets);
      const settings = maskingSettings(decision.policy, decision.dataSource, hashKey);
      if (!settings.enabled) return undefined;
      await SessionMasking.init();

      const { name, namespace } = decision.dataSource.metadata;
      const key = `${namespace ?? 'default'}/${name}`;
      let catalog = catalogs.get(key);
      if (catalog === undefined) {
        catalog = new ColumnCatalog();
        catalogs.set(key, catalog);
      }
      // The gate parses every text anyway (the same cache); masking reads those trees.
      const parsed = (sql: string) => {
        const { outcome } = cache.parse(sql);
        return outcome.ok ? nodeList(outcome.statements) : undefined;
      };
      return new SessionMasking({ settings, catalog, query: minter.catalogQuery, logger, parsed });
    },
  };
}

// The same list object for the same trees, so that masking can remember its analysis of it.
// Texts of one shape share their tree but not their outcome: a one-statement list is keyed
// by its tree, a longer one by its (cached) statements.
const nodeLists = new WeakMap<object, readonly unknown[]>();

function nodeList(statements: readonly ParsedStatement[]): readonly unknown[] {
  const only = statements.length === 1 ? statements[0]!.node : undefined;
  const key = typeof only === 'object' && only !== null ? only : statements;
  let list = nodeLists.get(key);
  if (list === undefined) {
    list = statements.map((s) => s.node);
    nodeLists.set(key, list);
  }
  return list;
}
