import type { ColumnType } from './ast';

/** What `ALTER COLUMN ... TYPE` does to a column and its table. */
export const TypeChange = {
  /** Binary compatible or a looser limit: no rewrite, no value refused. */
  SAFE: 'safe',
  /** Values the old type accepted may no longer fit. */
  NARROW: 'narrow',
  /** The table and its indexes are rewritten under an ACCESS EXCLUSIVE lock. */
  REWRITE: 'rewrite',
  /** The old type is not known from earlier migrations. */
  UNKNOWN: 'unknown',
} as const;
export type TypeChange = (typeof TypeChange)[keyof typeof TypeChange];

/** Integer widths, smallest first. */
const INTEGERS = ['int2', 'int4', 'int8'];
/** Types between which PostgreSQL converts without a rewrite (binary coercible). */
const TEXT_LIKE = new Set(['text', 'varchar']);

/**
 * Classifies a column type change the way PostgreSQL executes it:
 * `varchar(n)` to a longer `varchar` or to `text`, and `numeric(p,s)` to a
 * larger precision with the same scale, change only the catalog; a shorter
 * limit or smaller integer narrows; anything else rewrites the table.
 * An explicit `USING` always rewrites.
 *
 * @example
 * classifyTypeChange({ name: 'varchar', mods: [20], array: false }, { name: 'text', mods: [], array: false }, false); // 'safe'
 */
export function classifyTypeChange(from: ColumnType | undefined, to: ColumnType, using: boolean): TypeChange {
  if (from === undefined) return TypeChange.UNKNOWN;
  const narrows = isNarrowing(from, to);
  if (narrows) return TypeChange.NARROW;
  if (using || from.array !== to.array) return TypeChange.REWRITE;
  if (TEXT_LIKE.has(from.name) && TEXT_LIKE.has(to.name)) return TypeChange.SAFE;
  if (from.name === 'numeric' && to.name === 'numeric') return numericSafe(from.mods, to.mods) ? TypeChange.SAFE : TypeChange.REWRITE;
  if (from.name === to.name && sameMods(from.mods, to.mods)) return TypeChange.SAFE;
  return TypeChange.REWRITE;
}

function isNarrowing(from: ColumnType, to: ColumnType): boolean {
  if (TEXT_LIKE.has(from.name) && to.name === 'varchar' && to.mods.length > 0) {
    // Unlimited (text, varchar) to limited, or a lower limit.
    const old = from.name === 'varchar' ? from.mods[0] : undefined;
    return old === undefined || (to.mods[0] as number) < old;
  }
  if (from.name === 'numeric' && to.name === 'numeric' && to.mods.length > 0) {
    if (from.mods.length === 0) return true;
    const [p1 = 0, s1 = 0] = from.mods;
    const [p2 = 0, s2 = 0] = to.mods;
    return p2 - s2 < p1 - s1 || s2 < s1;
  }
  const a = INTEGERS.indexOf(from.name);
  const b = INTEGERS.indexOf(to.name);
  return a >= 0 && b >= 0 && b < a;
}

/** numeric to unconstrained numeric, or the same scale and no smaller precision. */
function numericSafe(from: number[], to: number[]): boolean {
  if (to.length === 0) return true;
  if (from.length === 0) return false;
  return (to[1] ?? 0) === (from[1] ?? 0) && (to[0] as number) >= (from[0] as number);
}

function sameMods(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((m, i) => m === b[i]);
}
