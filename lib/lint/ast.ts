/**
 * Small readers over libpg-query's JSON syntax tree. A `Node` is an object
 * with exactly one key naming its kind (`{ AlterTableStmt: {...} }`); these
 * helpers keep the rules free of casts.
 */
import type { AlterTableCmd, ColumnDef, Constraint, Node, RangeVar, TypeName } from 'libpg-query';

/**
 * The payload of `node` when it is of kind `kind`, else undefined.
 *
 * @example
 * const alter = nodeOf<AlterTableStmt>(stmt, 'AlterTableStmt');
 */
export function nodeOf<T>(node: Node | undefined, kind: string): T | undefined {
  if (node === undefined || node === null || typeof node !== 'object') return undefined;
  return (node as Record<string, unknown>)[kind] as T | undefined;
}

/**
 * The name of a node's kind, or '' for an empty node.
 *
 * @example
 * kindOf({ IndexStmt: {} }); // 'IndexStmt'
 */
export function kindOf(node: Node | undefined): string {
  return node && typeof node === 'object' ? (Object.keys(node)[0] ?? '') : '';
}

/**
 * How a table is known across migrations: `relname`, or `schema.relname`
 * outside `public` (an unqualified name and `public.x` are the same table).
 *
 * @example
 * tableKey({ schemaname: 'public', relname: 'organization' }); // 'organization'
 */
export function tableKey(relation: RangeVar | undefined): string {
  return relation?.relname ? keyOf(relation.schemaname, relation.relname) : '';
}

/**
 * The same key from a qualified name given as a list of strings (`DROP TABLE a.b`).
 *
 * @example
 * tableKeyOfNames([{ String: { sval: 'a' } }, { String: { sval: 'b' } }]); // 'a.b'
 */
export function tableKeyOfNames(names: readonly Node[]): string {
  const parts = names.map((n) => nodeOf<{ sval?: string }>(n, 'String')?.sval ?? '');
  const relname = parts[parts.length - 1] ?? '';
  return keyOf(parts.length > 1 ? parts[parts.length - 2] : undefined, relname);
}

function keyOf(schema: string | undefined, relname: string): string {
  return schema && schema !== 'public' ? `${schema}.${relname}` : relname;
}

/**
 * The commands of an `ALTER TABLE`, unwrapped.
 *
 * @example
 * alterCommands(alter.cmds).map((cmd) => cmd.subtype); // ['AT_DropColumn']
 */
export function alterCommands(cmds: readonly Node[] | undefined): AlterTableCmd[] {
  return (cmds ?? []).map((c) => nodeOf<AlterTableCmd>(c, 'AlterTableCmd')).filter((c): c is AlterTableCmd => c !== undefined);
}

/**
 * The constraints written inline on a column definition.
 *
 * @example
 * columnConstraints(def).map((c) => c.contype); // ['CONSTR_NOTNULL', 'CONSTR_DEFAULT']
 */
export function columnConstraints(column: ColumnDef | undefined): Constraint[] {
  return (column?.constraints ?? []).map((c) => nodeOf<Constraint>(c, 'Constraint')).filter((c): c is Constraint => c !== undefined);
}

/** A column type as far as the rules compare types: base name, modifiers, array or not. */
export interface ColumnType {
  /** Base name without `pg_catalog`, after aliases: `varchar`, `int4`, `numeric`, `text`. */
  name: string;
  /** Integer type modifiers (`varchar(20)` → [20], `numeric(10,2)` → [10, 2]). */
  mods: number[];
  array: boolean;
}

/** serial types are integers with a sequence default. */
const ALIASES: Record<string, string> = { serial: 'int4', serial4: 'int4', bigserial: 'int8', serial8: 'int8', smallserial: 'int2', serial2: 'int2' };

/**
 * Reads a `TypeName` node into a {@link ColumnType}.
 *
 * @example
 * columnType(def.typeName); // { name: 'varchar', mods: [20], array: false }
 */
export function columnType(typeName: TypeName | undefined): ColumnType {
  const names = (typeName?.names ?? []).map((n) => nodeOf<{ sval?: string }>(n, 'String')?.sval ?? '');
  const base = names[names.length - 1] ?? '';
  const mods = (typeName?.typmods ?? []).map((m) => nodeOf<{ ival?: { ival?: number } }>(m, 'A_Const')?.ival?.ival ?? 0);
  return { name: ALIASES[base] ?? base, mods, array: (typeName?.arrayBounds ?? []).length > 0 };
}

/**
 * A type as a message shows it.
 *
 * @example
 * formatType({ name: 'varchar', mods: [20], array: false }); // 'varchar(20)'
 */
export function formatType(type: ColumnType): string {
  return `${type.name}${type.mods.length > 0 ? `(${type.mods.join(',')})` : ''}${type.array ? '[]' : ''}`;
}
