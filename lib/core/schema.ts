/**
 * A database schema as a set of named objects, each with a canonical text
 * definition, so that two databases (two stages, a stage and a scratch copy,
 * a stage now and after its last run) can be compared object by object.
 * Reading the objects is the Postgres adapter's job
 * (`adapters/postgres/schema-objects.ts`); comparing them is pure.
 */
import { hash } from 'node:crypto';

/** The kinds of object a fingerprint covers. */
export const ObjectKind = {
  SCHEMA: 'schema',
  EXTENSION: 'extension',
  TYPE: 'type',
  SEQUENCE: 'sequence',
  TABLE: 'table',
  COLUMN: 'column',
  CONSTRAINT: 'constraint',
  INDEX: 'index',
  VIEW: 'view',
  FUNCTION: 'function',
  TRIGGER: 'trigger',
} as const;
export type ObjectKind = (typeof ObjectKind)[keyof typeof ObjectKind];

/**
 * One object. `name` is qualified so that it is unique within its kind:
 * `schema.table` for a table, `schema.table.column` for a column,
 * `schema.table.constraint`, `schema.function(argument types)`.
 * `definition` is what the server says the object is (type, nullability and
 * default of a column; `pg_get_indexdef` of an index...), never its data,
 * owner or grants.
 */
export interface SchemaObject {
  kind: ObjectKind;
  name: string;
  definition: string;
}

/** How an object differs between what was expected and what is there. */
export const ChangeKind = {
  /** There, but not expected (created outside migrations). */
  ADDED: 'added',
  /** Expected, but gone (dropped outside migrations). */
  REMOVED: 'removed',
  /** There under the same name, defined differently. */
  CHANGED: 'changed',
} as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

export interface SchemaDifference {
  kind: ObjectKind;
  name: string;
  change: ChangeKind;
  /** The expected definition; null when the object was not expected. */
  expected: string | null;
  /** The definition found; null when the object is not there. */
  actual: string | null;
}

/** The canonical line of one object; a tab cannot appear in a kind and sorts below every printable character. */
function lineOf(object: SchemaObject): string {
  return `${object.kind}\t${object.name}\t${object.definition}`;
}

/** Byte order of the UTF-8 form, the order of PostgreSQL's "C" collation. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The sha256 (hex) of a set of objects: of their canonical lines
 * (`kind<TAB>name<TAB>definition`) in byte order, joined by newlines. The
 * Postgres adapter computes the same value on the server
 * (`readSchemaHash`), so a stored hash and a computed one compare.
 *
 * @example
 * schemaHash([{ kind: 'table', name: 'public.org', definition: 'table' }]); // → '5b1c…'
 */
export function schemaHash(objects: readonly SchemaObject[]): string {
  const lines = objects.map(lineOf).sort(compareBytes);
  return hash('sha256', lines.join('\n'), 'hex');
}

function keyOf(object: Pick<SchemaObject, 'kind' | 'name'>): string {
  return `${object.kind}\t${object.name}`;
}

/**
 * Every object that is added, removed or changed in `actual` compared with
 * `expected`, sorted by kind and name.
 *
 * @example
 * diffSchemas(baseline, live); // → [{ kind: 'column', name: 'public.org.type_id', change: 'added', expected: null, actual: 'integer' }]
 */
export function diffSchemas(expected: readonly SchemaObject[], actual: readonly SchemaObject[]): SchemaDifference[] {
  const before = new Map(expected.map((o) => [keyOf(o), o]));
  const after = new Map(actual.map((o) => [keyOf(o), o]));
  const differences: SchemaDifference[] = [];
  for (const [key, object] of before) {
    const found = after.get(key);
    if (found === undefined) differences.push({ kind: object.kind, name: object.name, change: ChangeKind.REMOVED, expected: object.definition, actual: null });
    else if (found.definition !== object.definition) {
      differences.push({ kind: object.kind, name: object.name, change: ChangeKind.CHANGED, expected: object.definition, actual: found.definition });
    }
  }
  for (const [key, object] of after) {
    if (!before.has(key)) differences.push({ kind: object.kind, name: object.name, change: ChangeKind.ADDED, expected: null, actual: object.definition });
  }
  return differences.sort((a, b) => compareBytes(keyOf(a), keyOf(b)));
}

/** Longest definition quoted in a description; the JSON form has the whole text. */
const MAX_DEFINITION_CHARS = 200;

function quote(definition: string): string {
  return definition.length > MAX_DEFINITION_CHARS ? `${definition.slice(0, MAX_DEFINITION_CHARS)}…` : definition;
}

/**
 * One line for a person. `outside` says where the change came from, e.g.
 * `outside migrations` for drift, `by the migration` for a scratch copy.
 *
 * @example
 * describeDifference(difference, 'outside migrations'); // → 'column public.org.type_id added outside migrations (integer)'
 */
export function describeDifference(difference: SchemaDifference, outside: string): string {
  const what = `${difference.kind} ${difference.name}`;
  if (difference.change === ChangeKind.ADDED) return `${what} added ${outside} (${quote(difference.actual ?? '')})`;
  if (difference.change === ChangeKind.REMOVED) return `${what} removed ${outside} (was ${quote(difference.expected ?? '')})`;
  return `${what} changed ${outside}: ${quote(difference.expected ?? '')} → ${quote(difference.actual ?? '')}`;
}

/**
 * The objects that belong to a set of names: each named object, plus for a
 * table its columns, constraints, indexes and triggers (names under
 * `schema.table.`). Used to compare only what one migration touched.
 *
 * @example
 * objectsUnder(live, new Set(['table\tpublic.org'])); // the table, its columns, constraints...
 */
export function objectsUnder(objects: readonly SchemaObject[], keys: ReadonlySet<string>): SchemaObject[] {
  const tables = [...keys].filter((k) => k.startsWith(`${ObjectKind.TABLE}\t`)).map((k) => `${k.slice(ObjectKind.TABLE.length + 1)}.`);
  return objects.filter((o) => keys.has(keyOf(o)) || (o.kind !== ObjectKind.TABLE && tables.some((prefix) => o.name.startsWith(prefix))));
}

/** The key `objectsUnder` takes for an object: `kind<TAB>name`. */
export function objectKey(object: Pick<SchemaObject, 'kind' | 'name'>): string {
  return keyOf(object);
}
