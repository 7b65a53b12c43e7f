/**
 * What masking needs to know about a column's type: whether a masked text is a valid value of
 * it. OIDs are the fixed ones of pg_type.dat (they never change between PostgreSQL versions).
 */
export type TypeClass =
  'text' | 'json' | 'jsonb' | 'int2' | 'int4' | 'int8' | 'numeric' | 'uuid' | 'other';

const TYPE_CLASSES: ReadonlyMap<number, TypeClass> = new Map<number, TypeClass>([
  [18, 'text'], // "char"
  [19, 'text'], // name
  [25, 'text'], // text
  [705, 'text'], // unknown (untyped literals)
  [1042, 'text'], // bpchar
  [1043, 'text'], // varchar
  [114, 'json'],
  [3802, 'jsonb'],
  [21, 'int2'],
  [23, 'int4'],
  [20, 'int8'],
  [1700, 'numeric'],
  [2950, 'uuid'],
]);

/**
 * The class of a type OID. Types outside the table (dates, arrays, user-defined types ...) are
 * `other`; extra OIDs known to be strings (citext, domains over text) can be passed in, resolved
 * from pg_type.typcategory = 'S' by the catalog.
 */
export function typeClass(typeOid: number, extraTextTypes?: ReadonlySet<number>): TypeClass {
  return TYPE_CLASSES.get(typeOid) ?? (extraTextTypes?.has(typeOid) === true ? 'text' : 'other');
}
