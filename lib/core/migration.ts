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

/** One migration as it is bundled and planned. Plain data: safe to serialise. */
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
  /** How it got there: `executed` by running SQL, `recorded` (a squash whose originals were all applied). */
  method: 'executed' | 'recorded';
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

export function isMigrationId(id: string): boolean {
  return parseMigrationId(id) !== null;
}

/** Compares two digit strings by numeric value, without overflow (`0010` > `0009`, `0003` = `00003`). */
export function compareNumbers(a: string, b: string): number {
  const x = a.replace(/^0+(?=.)/, '');
  const y = b.replace(/^0+(?=.)/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Total order on ids: app, then number by value, then name. Used wherever order must be stable. */
export function compareIds(a: string, b: string): number {
  const pa = parseMigrationId(a);
  const pb = parseMigrationId(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  if (pa.app !== pb.app) return pa.app < pb.app ? -1 : 1;
  const byNumber = compareNumbers(pa.number, pb.number);
  if (byNumber !== 0) return byNumber;
  if (pa.name !== pb.name) return pa.name < pb.name ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
