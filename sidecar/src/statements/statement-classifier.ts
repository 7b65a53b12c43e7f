import { EXPRESSION_HANDLERS } from './expression-handlers.js';
import { unwrapNode } from './parse-node.js';
import type { StatementInfo } from './statement-info.js';
import { statementHandler } from './statement-handlers.js';
import { ClassifyError, TreeWalker, type NodeHandler, type Scope } from './tree-walker.js';

const TOP: Scope = { ctes: new Set(), explainOnly: false };

// Every node of every tree asks for its handler; the answer depends on the type alone.
const handlers = new Map<string, NodeHandler | undefined>();

function handlerFor(type: string): NodeHandler | undefined {
  if (handlers.has(type)) return handlers.get(type);
  const handler = EXPRESSION_HANDLERS[type] ?? statementHandler(type);
  // Node type names come from libpg-query's fixed set, so the map stays small.
  if (handlers.size < 1000) handlers.set(type, handler);
  return handler;
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
