import { factsOf } from './bundle-facts';
import { checksumVersion } from './checksum';
import {
  ChecksumMismatchError,
  DatabaseAheadError,
  MigrationDirtyError,
  MigrationsInvalidError,
  ProblemCode,
  SquashIncompleteError,
  type ChecksumMismatch,
  type LikelyRename,
} from './errors';
import { topologicalOrder } from './graph';
import { LedgerState, reverseFile, squashesOf, type AppliedMigration, type Migration } from './migration';

/** One thing a run will do. */
export type PlanStep =
  | { kind: 'apply'; migration: Migration }
  /** Write the ledger row of a squash whose replaced migrations are all applied; no SQL runs. */
  | { kind: 'record'; migration: Migration }
  /**
   * Run the migration's reverse script and delete `rows` from the ledger
   * (its own row and, for a squash, the rows of the migrations it replaces),
   * in one transaction unless it is `no-transaction`. See `reverse-plan.ts`.
   */
  | { kind: 'revert'; migration: Migration; rows: string[] };

/** Everything the planner found, without throwing: `status` shows it, `plan` enforces it. */
export interface Analysis {
  /** What to do, in dependency order. */
  steps: PlanStep[];
  /** Ledger rows of no-transaction migrations that failed or were interrupted. */
  dirty: AppliedMigration[];
  mismatches: ChecksumMismatch[];
  /** Applied ids the bundle does not know (the database runs a newer release, or a file was deleted or renamed). */
  ahead: string[];
  /** Those of `ahead` whose text a pending migration of the bundle has: most likely their files were renamed. */
  renamed: LikelyRename[];
  /** Squashes that cannot be used because originals are missing. */
  incompleteSquashes: { squash: string; applied: string[]; missing: string[] }[];
  /** Ids of the bundle that are replaced by a squash in effect (they never run). */
  replaced: string[];
  /** Every id a squash in effect replaces, with that squash: also ids gone from the bundle (pruned), which others may still name. */
  replacedBy: ReadonlyMap<string, string>;
}

/**
 * Compares the bundle with the ledger and decides what to run. Pure.
 *
 * Squashes follow Django: a squash is used when none of the migrations it
 * replaces are applied; it is recorded as applied when all of them are; when
 * only some are, the remaining originals run instead (and must be present),
 * then the squash is recorded. A dependency on a replaced id means the squash
 * while the squash is in effect.
 *
 * @example
 * const { steps } = analyse(bundle.migrations, ledger.rows);
 */
export function analyse(migrations: readonly Migration[], ledger: readonly AppliedMigration[]): Analysis {
  // With a ledger, every row is looked up; without one, a fresh database's plan may need no lookup at all.
  const byId = ledger.length > 0 ? indexById(migrations) : lazyIndex(migrations);
  const applied = new Set<string>();
  const dirty: AppliedMigration[] = [];
  for (const row of ledger) {
    if (row.state === LedgerState.APPLIED) applied.add(row.id);
    else dirty.push(row);
  }
  const mismatches = findMismatches(ledger, byId);
  const replacedBy = new Map<string, string>();
  const recordOnly = new Set<string>();
  const incompleteSquashes: Analysis['incompleteSquashes'] = [];
  const squashes = squashesOf(migrations);
  for (const squash of squashes) {
    const replaces = squash.directives.replaces;
    const done = replaces.filter((id) => applied.has(id));
    const inEffect = applied.has(squash.id) || done.length === 0 || done.length === replaces.length;
    if (inEffect) {
      for (const id of replaces) replacedBy.set(id, squash.id);
      if (!applied.has(squash.id) && done.length > 0) recordOnly.add(squash.id);
      continue;
    }
    const missing = replaces.filter((id) => !applied.has(id) && !byId.has(id));
    if (missing.length > 0) incompleteSquashes.push({ squash: squash.id, applied: done, missing });
    recordOnly.add(squash.id);
  }
  const replacedIds = new Set(squashes.flatMap((m) => m.directives.replaces));
  const aheadRows = ledger.filter((r) => r.state === LedgerState.APPLIED && !byId.has(r.id) && !replacedIds.has(r.id));
  const ahead = aheadRows.map((r) => r.id);
  const renamed = aheadRows.length === 0 ? [] : likelyRenames(aheadRows, migrations, applied);
  const steps = incompleteSquashes.length > 0 ? [] : order(migrations, byId, applied, replacedBy, recordOnly);
  const replaced = replacedBy.size === 0 ? [] : migrations.filter((m) => replacedBy.has(m.id)).map((m) => m.id);
  return { steps, dirty, mismatches, ahead, renamed, incompleteSquashes, replaced, replacedBy };
}

/**
 * Like {@link analyse}, but refuses to plan over a problem: a dirty
 * no-transaction migration, changed checksums, a database ahead of the
 * bundle, or an unusable squash (in that order of urgency).
 */
export function plan(migrations: readonly Migration[], ledger: readonly AppliedMigration[]): PlanStep[] {
  return refuseProblems(migrations, analyse(migrations, ledger)).steps;
}

/**
 * Throws the error of the most urgent problem of `analysis` (see {@link plan}),
 * or returns it unchanged when there is none.
 *
 * @example
 * const { steps, replaced } = refuseProblems(migrations, analyse(migrations, ledger));
 */
export function refuseProblems(migrations: readonly Migration[], analysis: Analysis): Analysis {
  const firstDirty = analysis.dirty[0];
  if (firstDirty) {
    const file = migrations.find((m) => m.id === firstDirty.id)?.file ?? null;
    throw new MigrationDirtyError(firstDirty.id, file, firstDirty.state, firstDirty.appliedAt, undefined, firstDirty.reverting === true);
  }
  if (analysis.mismatches.length > 0) throw new ChecksumMismatchError(analysis.mismatches);
  if (analysis.ahead.length > 0) throw new DatabaseAheadError(analysis.ahead, analysis.renamed);
  const squash = analysis.incompleteSquashes[0];
  if (squash) throw new SquashIncompleteError(squash.squash, squash.applied, squash.missing);
  return analysis;
}

/**
 * For each applied row the bundle lacks, the one migration of its app that
 * is not applied and has its checksum: the same text under another file
 * name. Claimed only when it is unambiguous: exactly one such migration,
 * whose text no other such row has, and which says something (an empty
 * merge migration, or one of comments only, has the text of every other).
 */
function likelyRenames(rows: readonly AppliedMigration[], migrations: readonly Migration[], applied: ReadonlySet<string>): LikelyRename[] {
  const renamed: LikelyRename[] = [];
  for (const row of rows) {
    if (rows.some((other) => other !== row && other.checksum === row.checksum)) continue;
    const app = row.id.slice(0, row.id.indexOf('/'));
    const same = migrations.filter((m) => m.app === app && m.checksum === row.checksum && !applied.has(m.id));
    const to = same.length === 1 ? (same[0] as Migration) : undefined;
    if (to && saysSomething(to.sql)) renamed.push({ id: row.id, to: to.id, file: to.file, ...(to.downSql !== null && { downFile: reverseFile(to.file) }) });
  }
  return renamed;
}

/** False for SQL of nothing but comments, semicolons and blanks. */
function saysSomething(sql: string): boolean {
  return sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\/|[\s;]+/g, '') !== '';
}

/** Lookup of the bundle's migrations by id. */
type MigrationIndex = Pick<ReadonlyMap<string, Migration>, 'get' | 'has'>;

function indexById(migrations: readonly Migration[]): Map<string, Migration> {
  const map = new Map<string, Migration>();
  for (const m of migrations) map.set(m.id, m);
  return map;
}

/** The index, built on first use: a fresh database's plan of 10,000 steps never needs it. */
function lazyIndex(migrations: readonly Migration[]): MigrationIndex {
  let map: Map<string, Migration> | undefined;
  return { get: (id) => (map ??= indexById(migrations)).get(id), has: (id) => (map ??= indexById(migrations)).has(id) };
}

function findMismatches(ledger: readonly AppliedMigration[], byId: MigrationIndex): ChecksumMismatch[] {
  const mismatches: ChecksumMismatch[] = [];
  for (const row of ledger) {
    const migration = byId.get(row.id);
    if (!migration || row.checksum === migration.checksum) continue;
    // A row written with an algorithm this version does not know is reported too, never ignored.
    const note = checksumVersion(row.checksum) === null ? ' (unknown checksum algorithm)' : '';
    mismatches.push({ id: row.id, file: migration.file, applied: row.checksum + note, bundle: migration.checksum, appliedAt: row.appliedAt });
  }
  return mismatches;
}

function order(
  migrations: readonly Migration[],
  byId: MigrationIndex,
  applied: ReadonlySet<string>,
  replacedBy: ReadonlyMap<string, string>,
  recordOnly: ReadonlySet<string>,
): PlanStep[] {
  if (replacedBy.size === 0 && recordOnly.size === 0) {
    const steps = inBundleOrder(migrations, byId, applied);
    if (steps) return steps;
  }
  const rank = new Map<string, number>();
  const graph = new Map<string, string[]>();
  const pending: string[] = [];
  migrations.forEach((m, index) => {
    if (replacedBy.has(m.id) || applied.has(m.id)) return;
    rank.set(m.id, index);
    pending.push(m.id);
    // A squash kept only to be recorded waits for the originals it replaces.
    const deps = recordOnly.has(m.id) ? [...m.dependencies, ...m.directives.replaces] : m.dependencies;
    // Without squashes in effect the dependencies are the graph (topologicalOrder ignores a self-dependency).
    graph.set(m.id, replacedBy.size === 0 ? deps : deps.map((d) => replacedBy.get(d) ?? d).filter((d) => d !== m.id));
  });
  if (followsOrder(pending, graph, rank)) return pending.map((id) => ({ kind: recordOnly.has(id) ? 'record' : 'apply', migration: byId.get(id) as Migration }));
  const { order: ids, blocked } = topologicalOrder(pending, graph, rank);
  if (blocked.length > 0) {
    throw new MigrationsInvalidError(
      blocked.slice(0, 5).map((id) => ({ code: ProblemCode.CYCLE, file: `${id}.sql`, message: `${id} can never run: its dependencies form a cycle once squashes are applied` })),
    );
  }
  return ids.map((id) => ({ kind: recordOnly.has(id) ? 'record' : 'apply', migration: byId.get(id) as Migration }));
}

/**
 * True when every pending migration depends only on migrations that are not
 * pending or come before it: then the pending list, in bundle order, is the
 * order `topologicalOrder` would return (the lowest-ranked pending migration
 * is always ready, so it always goes first), and the heap is not needed.
 * Implicit dependencies (the previous number) always come before; this is
 * the usual case, and with 10,000 pending migrations the fresh database.
 */
function followsOrder(pending: readonly string[], graph: ReadonlyMap<string, readonly string[]>, rank: ReadonlyMap<string, number>): boolean {
  for (const id of pending) {
    const own = rank.get(id) as number;
    for (const dep of graph.get(id) ?? []) {
      const before = rank.get(dep);
      if (before !== undefined && before >= own && dep !== id) return false;
    }
  }
  return true;
}

/** The dependencies `inBundleOrder` need not look at. */
const NONE: readonly string[] = [];

/**
 * Without squashes in effect, the pending migrations in bundle order, when
 * each depends only on migrations that are applied, unknown or before it
 * (what {@link followsOrder} checks, without building the graph: the
 * common case, and a fresh database's 10,000 steps); otherwise null. A
 * decoded bundle that stated no dependency (`bundle-facts.ts`) has only
 * those: its migrations' dependencies are not read.
 */
function inBundleOrder(migrations: readonly Migration[], byId: MigrationIndex, applied: ReadonlySet<string>): PlanStep[] | null {
  const steps: PlanStep[] = [];
  // Ids of the pending migrations walked so far, only when a dependency needs it: the usual one is the previous step.
  let walked: Set<string> | null = null;
  // A fresh database has nothing applied: no lookup per migration then.
  const none = applied.size === 0;
  // The id of the last step so far.
  let previous: string | null = null;
  // Decoded without stated dependencies: each migration's are the previous number of its app, before it in the bundle.
  const backwards = factsOf(migrations)?.dependenciesDerived === true;
  for (let i = 0; i < migrations.length; i += 1) {
    const m = migrations[i] as Migration;
    if (!none && applied.has(m.id)) continue;
    // Read once: a decoded migration derives its dependencies at each read.
    const dependencies = backwards ? NONE : m.dependencies;
    for (let k = 0; k < dependencies.length; k += 1) {
      const dep = dependencies[k] as string;
      if (dep === previous || dep === m.id || (!none && applied.has(dep)) || !byId.has(dep)) continue;
      walked ??= new Set(steps.map((step) => step.migration.id));
      if (!walked.has(dep)) return null;
    }
    walked?.add(m.id);
    steps.push({ kind: 'apply', migration: m });
    previous = m.id;
  }
  return steps;
}
