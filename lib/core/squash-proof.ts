import { SquashNotEquivalentError } from './errors';
import { describeDifference, diffSchemas, type SchemaObject } from './schema';

/** What a fresh database holds after the originals, or after the squash. */
export interface BuiltState {
  objects: readonly SchemaObject[];
  /** Rows of the range's tables and values of its sequences, by key (`table\tpublic.kind` → `3 row(s), md5 …`). */
  contents?: ReadonlyMap<string, string>;
}

/**
 * The proof of a squash: the objects a fresh database has after the squash
 * (`actual`) must be exactly those it has after the originals (`expected`),
 * definition for definition, and the range's tables must hold the same rows.
 * Otherwise throws `SquashNotEquivalentError` listing every difference.
 *
 * @example
 * assertEquivalent('org/0002_squashed_0001_0002', { objects: fromOriginals }, { objects: fromSquash });
 */
export function assertEquivalent(squashId: string, expected: BuiltState, actual: BuiltState): void {
  const differences = diffSchemas(expected.objects, actual.objects);
  const lines = differences.map((d) => describeDifference(d, 'by the squash'));
  const before = expected.contents ?? new Map<string, string>();
  const after = actual.contents ?? new Map<string, string>();
  const rows: { key: string; expected: string | null; actual: string | null }[] = [];
  for (const key of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const [e, a] = [before.get(key) ?? null, after.get(key) ?? null];
    if (e === a) continue;
    rows.push({ key, expected: e, actual: a });
    lines.push(`${contentLabel(key)}: the squash gives ${a ?? 'nothing'}, the originals ${e ?? 'nothing'}`);
  }
  if (lines.length === 0) return;
  throw new SquashNotEquivalentError(squashId, lines, [...differences, ...rows]);
}

/**
 * What a contents key is about, for a person: `privileges of table public.org`,
 * `comment of column public.org.name`, `contents of table public.kind`.
 *
 * @example
 * contentLabel('acl\ttable\tpublic.org'); // 'privileges of table public.org'
 */
export function contentLabel(key: string): string {
  const [first = '', ...rest] = key.split('\t');
  if (first === 'acl') return `privileges of ${rest.join(' ')}`;
  if (first === 'comment') return `comment of ${rest.join(' ')}`;
  return `contents of ${key.replace('\t', ' ')}`;
}
