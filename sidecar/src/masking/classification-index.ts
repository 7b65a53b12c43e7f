import { ANY_RELATION, ANY_SOURCE, type Source } from './lineage/lineage-types.js';

/**
 * A DataSource's `classification` map, indexed for lineage sources: `schema.table.column`,
 * the whole row `schema.table.*`, and both with `?` for a schema the statement left open;
 * ANY_SOURCE and ANY_RELATION (an opaque function call) carry every kind.
 */
export class ClassificationIndex {
  private readonly bySource = new Map<string, Set<string>>();
  private readonly byRelation = new Map<string, Set<string>>();
  /** Every kind the DataSource classifies. */
  readonly kinds: ReadonlySet<string>;
  /** The tables that hold classified columns. */
  readonly relations: readonly { schema: string; name: string }[];

  constructor(classification: Readonly<Record<string, string>>) {
    const kinds = new Set<string>();
    const relations = new Map<string, { schema: string; name: string }>();
    for (const [column, kind] of Object.entries(classification)) {
      const [schema, table, name] = column.split('.') as [string, string, string];
      kinds.add(kind);
      add(this.bySource, ANY_SOURCE, kind);
      add(this.byRelation, ANY_RELATION, kind);
      relations.set(`${schema}.${table}`, { schema, name: table });
      for (const key of [`${schema}.${table}.${name}`, `?.${table}.${name}`])
        add(this.bySource, key, kind);
      for (const key of [`${schema}.${table}`, `?.${table}`]) {
        add(this.bySource, `${key}.*`, kind);
        add(this.byRelation, key, kind);
      }
    }
    this.kinds = kinds;
    this.relations = [...relations.values()];
  }

  /** Whether the DataSource classifies nothing: masking by origin and lineage is then off. */
  get empty(): boolean {
    return this.kinds.size === 0;
  }

  /** The kinds of the classified columns among these sources. */
  kindsOf(sources: Iterable<Source>, into = new Set<string>()): Set<string> {
    for (const source of sources)
      for (const kind of this.bySource.get(source) ?? []) into.add(kind);
    return into;
  }

  /** The kinds of every classified column of these relations (`schema.table`, `?.table`). */
  kindsOfRelations(relations: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const relation of relations)
      for (const kind of this.byRelation.get(relation) ?? []) out.add(kind);
    return out;
  }
}

function add(map: Map<string, Set<string>>, key: string, kind: string): void {
  let kinds = map.get(key);
  if (kinds === undefined) map.set(key, (kinds = new Set()));
  kinds.add(kind);
}
