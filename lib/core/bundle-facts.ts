import type { Migration } from './migration';

/** What `readSql` must read for itself: a directive, a BOM or a CR (normalised away before hashing), a NUL (refused). */
const MARKERS = ['stagegate:', '\uFEFF', '\r', '\0'];

/** Beyond this many markers (a bundle of CRLF files), the SQL texts are searched one by one instead. */
const MAX_MARKERS = 4096;

/**
 * What decoding a version 2 bundle established about its migrations, for
 * `verifyClaims`: which SQL texts may hold a marker, from one search of the
 * whole SQL section instead of four searches per migration, and whether the
 * bundle stated no dependencies at all, so that every migration's are the
 * ones the decoder derived from the ids (the previous number of its app),
 * and whether it stated no directives at all.
 */
export interface DecodedFacts {
  /** By index in the decoded migrations: 1 when its SQL or reverse SQL may hold a marker. */
  marked: Uint8Array;
  /** True when the header's `dependencies` is empty. */
  dependenciesDerived: boolean;
  /** True when the header's `directives` is empty: no migration has a directive, so none is a squash or has `depends-on`. */
  noDirectives: boolean;
}

/** What the header stated, as {@link DecodedFacts} records it. */
export type StatedFacts = Omit<DecodedFacts, 'marked'>;

/** Keyed by the array the decoder returned: facts about other arrays (a copy, a subset) are never found. */
const recorded = new WeakMap<readonly Migration[], DecodedFacts>();

/**
 * Records the facts of `migrations`, just decoded from `text` with these
 * lengths (each migration's SQL, then its reverse SQL, back to back), and
 * what its header `stated`. Records nothing when the text holds too many
 * markers to be worth it.
 *
 * @example
 * recordFacts(migrations, text, header.sqlLengths, header.downLengths, { dependenciesDerived: true, noDirectives: true });
 */
export function recordFacts(migrations: readonly Migration[], text: string, sqlLengths: readonly number[], downLengths: readonly (number | null)[], stated: StatedFacts): void {
  const hits = markerRanges(text);
  if (hits === null) return;
  recorded.set(migrations, { marked: markedMigrations(hits, sqlLengths, downLengths), dependenciesDerived: stated.dependenciesDerived, noDirectives: stated.noDirectives });
}

/**
 * The facts recorded for exactly this array, if any.
 *
 * @example
 * const facts = factsOf(bundle.migrations);
 */
export function factsOf(migrations: readonly Migration[]): DecodedFacts | undefined {
  return recorded.get(migrations);
}

/** Where each marker occurs in `text`, as [start, end) pairs sorted by start; null when there are too many. */
function markerRanges(text: string): [number, number][] | null {
  const hits: [number, number][] = [];
  for (const marker of MARKERS) {
    for (let at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + 1)) {
      if (hits.length === MAX_MARKERS) return null;
      hits.push([at, at + marker.length]);
    }
  }
  return hits.sort((a, b) => a[0] - b[0]);
}

/** Marks every migration whose text range overlaps a marker (one that spans two migrations marks both). */
function markedMigrations(hits: readonly [number, number][], sqlLengths: readonly number[], downLengths: readonly (number | null)[]): Uint8Array {
  const marked = new Uint8Array(sqlLengths.length);
  let first = 0;
  let offset = 0;
  for (let i = 0; i < sqlLengths.length && first < hits.length; i += 1) {
    const end = offset + (sqlLengths[i] as number) + (downLengths[i] ?? 0);
    // Hits that ended before this migration can touch no later one.
    while (first < hits.length && (hits[first] as [number, number])[1] <= offset) first += 1;
    for (let h = first; h < hits.length && (hits[h] as [number, number])[0] < end; h += 1) {
      if ((hits[h] as [number, number])[1] > offset) {
        marked[i] = 1;
        break;
      }
    }
    offset = end;
  }
  return marked;
}
