import type { StatementClass } from '@portcullis/crds';
import { orderClasses } from './command-classes.js';
import { asArray, asObject, unwrapNode, type ParseObject } from './parse-node.js';
import type { StatementInfo, TableAccess } from './statement-info.js';
import { rangeVarName, type TableName } from './table-names.js';

/** Raised when a statement cannot be understood well enough to be checked. */
export class ClassifyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ClassifyError';
  }
}

/** What a part of the tree is seen under. */
export interface Scope {
  /** CTE names visible here: an unqualified reference to one is not a table. */
  readonly ctes: ReadonlySet<string>;
  /** Under EXPLAIN without ANALYZE: nothing below runs, so writes count as reads. */
  readonly explainOnly: boolean;
  /** Set while walking the object list of a utility statement: RangeVars there are its targets. */
  readonly target?: { class: StatementClass; written: boolean };
}

/** Handles one node type; `fields` are the node's fields, bare. */
export type NodeHandler = (walker: TreeWalker, fields: ParseObject, scope: Scope) => void;

// Deep enough for any query a person or an ORM writes; a deeper tree is refused rather than
// risking the stack of the process that relays every session.
const MAX_DEPTH = 3000;

/**
 * Walks one statement's parse tree and collects what it does. Node types with a handler are
 * treated by it; every other node is walked field by field, so a table or function call
 * nested somewhere the handlers do not expect is still seen.
 */
export class TreeWalker {
  private readonly classes = new Set<StatementClass>();
  private readonly accesses: TableAccess[] = [];
  private readonly functions = new Set<string>();
  private readonly attributeCalls = new Set<string>();
  private readonly rowCalls = new Set<string>();
  private readonly notes: string[] = [];
  private readonly executes: string[] = [];
  private prepares: string | undefined;
  private deallocates: string | undefined;
  private depth = 0;

  constructor(private readonly handlerFor: (type: string) => NodeHandler | undefined) {}

  /** Visits any value of the tree: a node, a bare struct, a list or a scalar. */
  visit(value: unknown, scope: Scope): void {
    if (typeof value !== 'object' || value === null) return;
    if (++this.depth > MAX_DEPTH) throw new ClassifyError('the statement nests too deeply');
    try {
      if (Array.isArray(value)) {
        for (const item of value) this.visit(item, scope);
        return;
      }
      const node = unwrapNode(value);
      if (node === undefined) {
        this.visitBare(value as ParseObject, scope);
        return;
      }
      const handler = this.handlerFor(node.type);
      if (handler !== undefined) handler(this, node.fields, scope);
      else this.visitFields(node.fields, scope);
    } finally {
      this.depth--;
    }
  }

  /** Visits every field of a node except the ones named in `skip`. */
  visitFields(fields: ParseObject, scope: Scope, skip?: readonly string[]): void {
    for (const key in fields) {
      if (skip !== undefined && skip.includes(key)) continue;
      const child = fields[key];
      // Scalars (locations, flags, names) are most fields; skip the call for them.
      if (typeof child === 'object' && child !== null) this.visit(child, scope);
    }
  }

  // Struct-typed fields are not wrapped in their type name (DeleteStmt.relation is a bare
  // RangeVar, CallStmt.funccall a bare FuncCall), so they are recognised by shape.
  private visitBare(object: ParseObject, scope: Scope): void {
    const rangeVar = this.handlerFor('RangeVar');
    const funcCall = this.handlerFor('FuncCall');
    if (typeof object.relname === 'string' && rangeVar !== undefined) {
      rangeVar(this, object, scope);
      return;
    }
    if (Array.isArray(object.funcname) && funcCall !== undefined && 'funcformat' in object) {
      funcCall(this, object, scope);
      return;
    }
    // ALTER ROLE/DATABASE/SYSTEM ... SET hold a bare VariableSetStmt.
    const variableSet = this.handlerFor('VariableSetStmt');
    if (typeof object.kind === 'string' && object.kind.startsWith('VAR_') && variableSet) {
      variableSet(this, object, scope);
      return;
    }
    this.visitFields(object, scope);
  }

  /** Adds a class the statement's shape shows; under EXPLAIN alone it is a read. */
  addClass(statementClass: StatementClass, scope: Scope): void {
    this.classes.add(scope.explainOnly ? 'read' : statementClass);
  }

  /** Adds a class a function call carries; functions may run at plan time, so even under EXPLAIN. */
  addCallClass(statementClass: StatementClass, note?: string): void {
    this.classes.add(statementClass);
    if (note !== undefined) this.notes.push(note);
  }

  /** Records a table the statement acts on with the given class. */
  addAccess(
    name: TableName,
    statementClass: StatementClass,
    scope: Scope,
    extra: { written: boolean; where?: boolean },
  ): void {
    if (scope.explainOnly) {
      this.accesses.push({ ...name, class: 'read', written: false });
      return;
    }
    const access: TableAccess = { ...name, class: statementClass, written: extra.written };
    if (extra.where !== undefined) access.where = extra.where;
    this.accesses.push(access);
  }

  /** Records the RangeVar (bare or wrapped) a DML statement targets. */
  addTarget(
    relation: unknown,
    statementClass: StatementClass,
    scope: Scope,
    extra: { written: boolean; where?: boolean },
  ): void {
    const fields = unwrapNode(relation)?.fields ?? asObject(relation);
    const name = fields === undefined ? undefined : rangeVarName(fields);
    if (name === undefined) throw new ClassifyError('a statement target is not a table name');
    this.addAccess(name, statementClass, scope, extra);
  }

  /** Records a function call by its name as written. */
  addFunction(name: string): void {
    this.functions.add(name);
  }

  /** Records a name used in attribute notation, which may be a function call. */
  addAttributeCall(name: string): void {
    this.attributeCalls.add(name);
  }

  /** Records the last name of `t.f`, which may call a function taking t's row type. */
  addRowCall(name: string): void {
    this.rowCalls.add(name);
  }

  /** Records a PREPARE, EXECUTE or DEALLOCATE for the gate's prepared-statement map. */
  addPrepared(kind: 'prepares' | 'executes' | 'deallocates', name: string, scope: Scope): void {
    if (kind === 'executes') {
      if (!scope.explainOnly) this.executes.push(name);
    } else if (kind === 'prepares') this.prepares = name;
    else this.deallocates = name;
  }

  /** The collected facts as a StatementInfo. */
  result(command: string, text: string): StatementInfo {
    const classes = orderClasses(this.classes);
    if (classes.length === 0 && this.executes.length === 0) {
      throw new ClassifyError(`no statement class found for ${command}`);
    }
    const read = new Set<string>();
    const written = new Set<string>();
    for (const access of this.accesses) (access.written ? written : read).add(access.table);
    const info: StatementInfo = {
      // EXECUTE alone is classed by the statement it runs, which the gate resolves.
      class: classes[0] ?? 'session',
      classes,
      tables: { read: [...read], written: [...written] },
      access: this.accesses,
      functions: [...this.functions],
      attributeCalls: [...this.attributeCalls],
      rowCalls: [...this.rowCalls],
      command,
      text,
      executes: this.executes,
      notes: this.notes,
    };
    const filtered = this.accesses.filter((a) => a.class === 'update' || a.class === 'delete');
    if (filtered.length > 0) info.hasWhere = filtered.every((a) => a.where === true);
    if (this.prepares !== undefined) info.prepares = this.prepares;
    if (this.deallocates !== undefined) info.deallocates = this.deallocates;
    return info;
  }
}

/** The names a WITH clause defines, and the scope each CTE body sees. */
export function visitWith(walker: TreeWalker, withClause: unknown, scope: Scope): Scope {
  const clause = unwrapNode(withClause)?.fields ?? asObject(withClause);
  if (clause === undefined) return scope;
  const ctes = asArray(clause.ctes).map((cte) => unwrapNode(cte)?.fields ?? {});
  const names = ctes.map((cte) => (typeof cte.ctename === 'string' ? cte.ctename : ''));
  const recursive = clause.recursive === true;

  // Without RECURSIVE a CTE body sees only the CTEs before it: `WITH t AS (SELECT * FROM t)`
  // reads the table t.
  ctes.forEach((cte, i) => {
    const visible = recursive ? names : names.slice(0, i);
    const inner = { ...scope, ctes: new Set([...scope.ctes, ...visible]), target: undefined };
    walker.visitFields(cte, inner);
  });
  return { ...scope, ctes: new Set([...scope.ctes, ...names]), target: undefined };
}
