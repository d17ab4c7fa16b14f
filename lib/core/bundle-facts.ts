import type { Migration } from './migration';
import { unrunnableRanges } from './transaction-control';

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

/** The decoded text and its lengths, for the search {@link unrunnableLookup} makes once, at its first use; then what it found (null: too many). */
interface Section {
  text: string;
  sqlLengths: readonly number[];
  downLengths: readonly (number | null)[];
  unrunnable?: Uint8Array | null;
}

/** Keyed by the array the decoder returned: facts about other arrays (a copy, a subset) are never found. */
const recorded = new WeakMap<readonly Migration[], { facts: DecodedFacts; section: Section }>();

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
  recorded.set(migrations, {
    facts: { marked: markedMigrations(hits, sqlLengths, downLengths), dependenciesDerived: stated.dependenciesDerived, noDirectives: stated.noDirectives },
    section: { text, sqlLengths, downLengths },
  });
}

/**
 * For a plan's apply steps, asked in bundle order: whether the SQL of each
 * migration of `migrations` may hold a statement that cannot run (what
 * `mayBeUnrunnable` says of it), from one search of the whole decoded
 * section, made at the first lookup of this array and kept. The answer is
 * undefined for a migration not found after the previous one asked (a copy,
 * another order), and for every one when the section holds too many such
 * words; the caller then searches that script itself. Null when nothing was
 * recorded for this array, or when fewer than a quarter of its migrations
 * are to be asked about (searching those few costs less than the section).
 *
 * @example
 * const known = unrunnableLookup(bundle.migrations, steps.length);
 * known?.(steps[0].migration); // → false: no backslash, COPY, DEALLOCATE, DISCARD, ROLLBACK or ABORT in it
 */
export function unrunnableLookup(migrations: readonly Migration[], asked: number): ((m: Migration) => boolean | undefined) | null {
  const section = recorded.get(migrations)?.section;
  if (section === undefined || asked * 4 < migrations.length) return null;
  if (section.unrunnable === undefined) {
    const hits = unrunnableRanges(section.text, MAX_MARKERS);
    section.unrunnable = hits === null ? null : markedMigrations(hits, section.sqlLengths, section.downLengths);
  }
  const flags = section.unrunnable;
  let i = 0;
  return (m) => {
    while (i < migrations.length && migrations[i] !== m) i += 1;
    if (flags === null || i === migrations.length) return undefined;
    i += 1;
    return flags[i - 1] === 1;
  };
}

/**
 * The facts recorded for exactly this array, if any.
 *
 * @example
 * const facts = factsOf(bundle.migrations);
 */
export function factsOf(migrations: readonly Migration[]): DecodedFacts | undefined {
  return recorded.get(migrations)?.facts;
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

/** Marks every migration whose text range (SQL and reverse SQL) overlaps a hit (one that spans two migrations marks both). */
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
