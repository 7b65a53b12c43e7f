import { EXPRESSION_HANDLERS } from './expression-handlers.js';
import { unwrapNode } from './parse-node.js';
import type { StatementInfo } from './statement-info.js';
import { statementHandler } from './statement-handlers.js';
import { ClassifyError, TreeWalker, type NodeHandler, type Scope } from './tree-walker.js';

const TOP: Scope = { ctes: new Set(), explainOnly: false };

function handlerFor(type: string): NodeHandler | undefined {
  return EXPRESSION_HANDLERS[type] ?? statementHandler(type);
}

/**
 * Classifies one statement from libpg-query's parse tree (the `stmt` of a RawStmt).
 * Throws ClassifyError for a statement type the gate does not know, or a tree it will not walk.
 */
export function classifyStatement(stmt: unknown, text: string): StatementInfo {
  const node = unwrapNode(stmt);
  if (node === undefined) throw new ClassifyError('the parse tree holds no statement node');
  if (statementHandler(node.type) === undefined) {
    throw new ClassifyError(`statements of type ${node.type} are not understood`);
  }

  const walker = new TreeWalker(handlerFor);
  walker.visit(stmt, TOP);
  return walker.result(node.type, text);
}
