/**
 * The migration model. A migration is a committed SQL file
 * `migrations/<app>/<NNNN>_<name>.sql`; its id is `<app>/<NNNN>_<name>`.
 */

/** `app/NNNN_name`: app `[a-z][a-z0-9_]*`, 4 or more digits, name `[a-z0-9_]+`. */
const ID_PATTERN = /^([a-z][a-z0-9_]*)\/([0-9]{4,})_([a-z0-9_]+)$/;
/** The longest id accepted; ids are also ledger keys and log fields. */
export const MAX_ID_LENGTH = 200;

/** Directives read from a migration's leading comment lines. */
export interface Directives {
  /** `-- stagegate:depends-on <id> ...`, in file order. */
  dependsOn: string[];
  /** `-- stagegate:replaces <id> ...`: this migration is a squash of those. */
  replaces: string[];
  /** `-- stagegate:no-transaction`: statements run one by one, outside a transaction. */
  noTransaction: boolean;
  /** `-- stagegate:irreversible`: there is deliberately no reverse script. */
  irreversible: boolean;
  /** `-- stagegate:allow <rule> <reason>`: a lint rule switched off for this file. */
  allow: { rule: string; reason: string }[];
}

/** Shared by every decoded migration without directives; frozen, so a mistaken edit throws instead of reaching all of them. */
export const NO_DIRECTIVES: Directives = Object.freeze({
  dependsOn: Object.freeze([]) as unknown as string[],
  replaces: Object.freeze([]) as unknown as string[],
  noTransaction: false,
  irreversible: false,
  allow: Object.freeze([]) as unknown as Directives['allow'],
});

/**
 * True when `d` holds at least one directive; {@link NO_DIRECTIVES} is
 * known to hold none without reading its five fields.
 *
 * @example
 * hasDirectives(NO_DIRECTIVES); // false
 */
export function hasDirectives(d: Directives): boolean {
  return d !== NO_DIRECTIVES && (d.dependsOn.length > 0 || d.replaces.length > 0 || d.noTransaction || d.irreversible || d.allow.length > 0);
}

/**
 * One migration as it is bundled and planned. Data only, but a decoded one
 * derives some fields when read: copy or serialise it through
 * {@link plainMigration}, not a spread.
 */
export interface Migration {
  id: string;
  app: string;
  /** The number as written (`0003`); compare with {@link compareIds}. */
  number: string;
  name: string;
  /** Path relative to the migrations folder, `/`-separated: `organization/0001_initial.sql`. */
  file: string;
  sql: string;
  /** The reverse script (`.down.sql`), or null when there is none. */
  downSql: string | null;
  /** Versioned checksum of `sql`; see `checksum.ts`. */
  checksum: string;
  directives: Directives;
  /** Resolved dependencies: explicit `depends-on` plus the implicit previous number, sorted. */
  dependencies: string[];
}

/**
 * `m` as a plain object with every field its own: a decoded migration
 * (`decoded-migration.ts`) derives some of them in getters, which a spread,
 * `Object.keys` or `JSON.stringify` would not see.
 *
 * @example
 * const copy = { ...plainMigration(m), sql: m.downSql ?? '' };
 */
export function plainMigration(m: Migration): Migration {
  const { id, app, number, name, file, sql, downSql, checksum, directives, dependencies } = m;
  return { id, app, number, name, file, sql, downSql, checksum, directives, dependencies };
}

/**
 * The squashes among `migrations` (those that replace others), in their
 * order. A loop rather than `filter`: a cold process runs it over 10,000
 * migrations before any callback is compiled.
 *
 * @example
 * squashesOf(bundle.migrations); // [] in a bundle without squashes
 */
export function squashesOf(migrations: readonly Migration[]): Migration[] {
  const squashes: Migration[] = [];
  for (let i = 0; i < migrations.length; i += 1) {
    const m = migrations[i] as Migration;
    if (m.directives.replaces.length > 0) squashes.push(m);
  }
  return squashes;
}

/** The state of one ledger row. */
export const LedgerState = {
  /** Applied and committed. */
  APPLIED: 'applied',
  /** A no-transaction migration that started and never finished (the process died). */
  RUNNING: 'running',
  /** A no-transaction migration that failed part-way. */
  FAILED: 'failed',
} as const;
export type LedgerState = (typeof LedgerState)[keyof typeof LedgerState];

/** One row of the ledger, as the database adapter reads it. */
export interface AppliedMigration {
  id: string;
  checksum: string;
  state: LedgerState;
  /** ISO 8601 time the row was written. */
  appliedAt: string;
  durationMs: number | null;
  bundleId: string;
  appliedBy: string;
  /**
   * How it got there: `executed` by running SQL, `recorded` (a squash whose
   * originals were all applied), `adopted` (its objects were made by hand and
   * proven to match, see `stagegate adopt`).
   */
  method: 'executed' | 'recorded' | 'adopted';
  /** A `running`/`failed` row of a no-transaction migration whose reverse script (not its forward one) failed or was interrupted. */
  reverting?: true;
}

export interface ParsedId {
  app: string;
  number: string;
  name: string;
}

/** Splits a migration id into its parts, or returns null when it is not a valid id. */
export function parseMigrationId(id: string): ParsedId | null {
  if (id.length > MAX_ID_LENGTH) return null;
  const match = ID_PATTERN.exec(id);
  if (!match) return null;
  return { app: match[1] as string, number: match[2] as string, name: match[3] as string };
}

/**
 * The file a migration's reverse script comes from: `org/0002_type.sql` → `org/0002_type.down.sql`.
 *
 * @example
 * reverseFile('organization/0002_organization_type.sql'); // 'organization/0002_organization_type.down.sql'
 */
export function reverseFile(file: string): string {
  return file.replace(/\.sql$/, '.down.sql');
}

/**
 * `m`'s reverse script in the place of its SQL, named by its `.down.sql`
 * file (empty SQL when there is none), every other field kept.
 *
 * @example
 * reverseScriptOf(m).file; // 'organization/0002_organization_type.down.sql'
 */
export function reverseScriptOf(m: Migration): Migration {
  return { ...plainMigration(m), file: reverseFile(m.file), sql: m.downSql ?? '' };
}

export function isMigrationId(id: string): boolean {
  return id.length <= MAX_ID_LENGTH && ID_PATTERN.test(id);
}

/** Compares two digit strings by numeric value, without overflow (`0010` > `0009`, `0003` = `00003`). */
export function compareNumbers(a: string, b: string): number {
  // Digits of one length compare as text: the usual case (ids zero-padded alike), without a loop.
  if (a.length === b.length) return a < b ? -1 : a > b ? 1 : 0;
  // Hot in sorting 10,000 ids: skip leading zeros by index instead of building new strings.
  const i = firstSignificant(a);
  const j = firstSignificant(b);
  const lengthDifference = a.length - i - (b.length - j);
  if (lengthDifference !== 0) return lengthDifference;
  for (let k = 0; k < a.length - i; k += 1) {
    const difference = a.charCodeAt(i + k) - b.charCodeAt(j + k);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Index of the first non-zero digit, keeping the last digit of an all-zero number. */
function firstSignificant(digits: string): number {
  let index = 0;
  while (index < digits.length - 1 && digits.charCodeAt(index) === 48) index += 1;
  return index;
}

/** Total order on ids: app, then number by value, then name. Used wherever order must be stable. */
export function compareIds(a: string, b: string): number {
  const pa = parsedIds.get(a) ?? cacheParsed(a);
  const pb = parsedIds.get(b) ?? cacheParsed(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  const byParts = compareParsedIds(pa, pb);
  if (byParts !== 0) return byParts;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * {@link compareIds} on ids already parsed (0 also for `0003` against `00003`).
 *
 * @example
 * compareParsedIds({ app: 'org', number: '0010', name: 'a' }, { app: 'org', number: '0009', name: 'b' }); // > 0
 */
export function compareParsedIds(pa: ParsedId, pb: ParsedId): number {
  if (pa.app !== pb.app) return pa.app < pb.app ? -1 : 1;
  const byNumber = compareNumbers(pa.number, pb.number);
  if (byNumber !== 0) return byNumber;
  if (pa.name !== pb.name) return pa.name < pb.name ? -1 : 1;
  return 0;
}

/**
 * Parsed ids, remembered: sorting calls {@link compareIds} n log n times and
 * the regular expression dominated. Bounded so a long-lived process that sees
 * many bundles does not grow without end.
 */
const parsedIds = new Map<string, ParsedId | null>();
const MAX_CACHED_IDS = 100_000;

function cacheParsed(id: string): ParsedId | null {
  if (parsedIds.size >= MAX_CACHED_IDS) parsedIds.clear();
  const parsed = parseMigrationId(id);
  parsedIds.set(id, parsed);
  return parsed;
}
