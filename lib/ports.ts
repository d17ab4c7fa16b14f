/**
 * The ports between the engine (`run.ts` + `core/`) and the outside world.
 * Adapters implement them and only move bytes and rows; every decision
 * (order, checksums, what to run, when to stop) is the engine's.
 */
import type { AppliedMigration, Migration } from './core/migration';
import type { SqlStatement } from './core/sql-split';
import type { DriftReport } from './core/drift';
import type { SchemaObject } from './core/schema';

/**
 * Structured logging. `event` is a dotted name in the past tense
 * (`migration.applied`); `data` is plain JSON. Implementations must never
 * receive secrets: the engine passes none.
 */
export interface Logger {
  debug(event: string, data?: Record<string, unknown>): void;
  info(event: string, data?: Record<string, unknown>): void;
  warn(event: string, data?: Record<string, unknown>): void;
  error(event: string, data?: Record<string, unknown>): void;
}

/** Time, injectable so deadlines can be tested. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** A verified bundle: its id is the sha256 of the bundle file. */
export interface LoadedBundle {
  /** sha256 (hex) of the bundle file; for a folder, of the bundle built from it. */
  id: string;
  /** Human description of where it came from (`migrations/`, `s3://b/k`), for messages. */
  origin: string;
  /** Every migration, sorted by id. For a bundle pinned by its hash, decoded on first read (and may throw `BundleInvalidError` then). */
  readonly migrations: Migration[];
  /**
   * True when every migration's checksum, directives and dependencies were
   * recomputed from its SQL when the bundle was loaded. Otherwise (a bundle
   * pinned by its hash) the engine recomputes them for the migrations it is
   * about to run, before running any.
   */
  allVerified?: boolean;
}

/** Where migrations come from: a folder, a bundle file, an S3 object. */
export interface BundleSource {
  /**
   * Called once per run, before anything touches a database. Returns the
   * bundle only after verifying it: a bundle pinned by its hash (an S3 ref,
   * a `<sha256>.json.gz` file) after checking the hash, its content decoded
   * and checked when `migrations` is first read; any other bundle in full
   * (format, ids, checksums).
   * Not found: throws `BundleNotFoundError`. Invalid: `BundleInvalidError`
   * (for a pinned bundle, possibly from `migrations`), `BundleIntegrityError`
   * or `MigrationsInvalidError`.
   */
  load(): Promise<LoadedBundle>;
}

/** What the ledger holds. */
export interface LedgerSnapshot {
  /** False when the ledger schema or tables do not exist yet (a fresh database). */
  exists: boolean;
  /** Every ledger row, in no particular order. Empty when `exists` is false. */
  rows: AppliedMigration[];
}

/** One migration to execute, with everything the adapter needs and nothing to decide. */
export interface ApplyRequest {
  migration: Migration;
  /** The migration's statements, split by the engine, with their place in the file. */
  statements: SqlStatement[];
  bundleId: string;
  runId: number;
  appliedBy: string;
  /** Value for `lock_timeout` during this migration, in ms (0 = none). */
  lockTimeoutMs: number;
  /** Value for `statement_timeout` during this migration, in ms (0 = none). */
  statementTimeoutMs: number;
}

/** A ledger row written without running SQL (a squash whose originals were all applied). */
export interface RecordRequest {
  migration: Migration;
  bundleId: string;
  runId: number;
  appliedBy: string;
}

export const RunOutcome = {
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  INCOMPLETE: 'incomplete',
} as const;
export type RunOutcome = (typeof RunOutcome)[keyof typeof RunOutcome];

export interface RunStart {
  action: string;
  bundleId: string;
  actor: string;
}

export interface RunFinish {
  outcome: RunOutcome;
  applied: string[];
  /** The error's JSON form (code, message, migration...), already free of secrets. */
  error?: Record<string, unknown>;
  /** What a person decided and why (`drift-accept`, `adopt`): reason, differences accepted, what was not verified. */
  details?: Record<string, unknown>;
}

/** Read access to the ledger. */
export interface LedgerReader {
  /** Reads every ledger row in one query. A missing ledger is `{ exists: false, rows: [] }`, not an error. */
  readLedger(): Promise<LedgerSnapshot>;
  /**
   * Compares the managed schemas (every schema but the system's and the
   * ledger's) with the baseline the last run stored, on the server: one
   * hash comparison, and the differing objects only when the hashes differ.
   * No baseline (a fresh database, a ledger from before drift detection), or
   * one older than the ledger: `{ baseline: false, differences: [] }`, not an error.
   */
  readDrift(): Promise<DriftReport>;
}

/** A locked session: the only way to change the ledger or the schema. */
export interface LedgerSession extends LedgerReader {
  /** Records the start of a run in the runs table (committed at once); returns its id. */
  startRun(run: RunStart): Promise<number>;
  /** Records how a run ended. Called on every path once `startRun` succeeded. */
  finishRun(runId: number, finish: RunFinish): Promise<void>;
  /**
   * Executes one migration and writes its ledger row.
   * Transactional: statements and ledger row commit together or not at all.
   * `noTransaction`: a `running` row is committed first, statements run one by
   * one, then the row becomes `applied` (or `failed` with the error).
   * Returns the duration. Throws `MigrationFailedError` (naming file, line,
   * SQLSTATE) when a statement fails; the connection stays usable.
   */
  apply(request: ApplyRequest): Promise<{ durationMs: number }>;
  /** Writes an `applied` ledger row with method `recorded`, running no SQL. */
  record(request: RecordRequest): Promise<void>;
  /**
   * Remembers that the ledger, as it is now, leaves nothing to do for the
   * bundle `bundleId` (its plan is empty): one row, replacing the last one.
   * Call only when that is so.
   */
  markComplete(bundleId: string): Promise<void>;
  /**
   * True when `markComplete(bundleId)` was the last mark and the ledger has
   * not changed since (every row's id, checksum and state the same): then the
   * plan of that bundle is still empty, without reading the ledger. One
   * query. False when there is no mark, another bundle's, or any change.
   */
  isMarkedComplete(bundleId: string): Promise<boolean>;
  /**
   * Settles a `running`/`failed` row by hand: `applied` marks it applied,
   * `rolled-back` deletes it so it runs again. Throws `NOT_DIRTY` when the
   * row is missing or already applied.
   */
  resolveDirty(id: string, outcome: 'applied' | 'rolled-back', runId: number): Promise<void>;
  /**
   * Stores the managed schemas as they are now as the drift baseline,
   * replacing the previous one, on the server (nothing is sent to the client).
   * `onlyIfUnusable`: only when none is stored yet or it is stale (see `DriftReport`).
   */
  storeBaseline(onlyIfUnusable?: boolean): Promise<void>;
  /** Every object of the managed schemas, sorted by kind and name (see `SchemaObject`). */
  readSchemaObjects(): Promise<SchemaObject[]>;
  /**
   * Replaces, in the stored baseline, the objects under `keys` (`kind<TAB>name`;
   * unless `underTables` is false, for a table also everything named under it)
   * with `objects`. Returns false, changing nothing, when there is no baseline.
   */
  replaceBaselineObjects(keys: readonly string[], objects: readonly SchemaObject[], underTables?: boolean): Promise<boolean>;
  /** Writes an `applied` ledger row with method `adopted`, running no SQL (its objects were proven to exist). */
  adopt(request: RecordRequest): Promise<void>;
}

export interface LockOptions {
  /** How long to poll for the lock before `LockTimeoutError`, in ms. */
  waitMs: number;
  /**
   * The usual `lock_timeout` and `statement_timeout` of the run's migrations,
   * in ms (0 = none). Set once for the session, from its first `apply` on,
   * so that a migration asking for exactly these costs no query to set them;
   * one asking for others (capped by a deadline) gets its own for its
   * transaction, as without this.
   */
  timeouts?: { lockTimeoutMs: number; statementTimeoutMs: number };
}

/** A PostgreSQL database with a stagegate ledger. */
export interface MigrationDatabase {
  /**
   * Opens one connection, takes the session advisory lock of this ledger by
   * polling `pg_try_advisory_lock` (never blocking inside Postgres), creates
   * or upgrades the ledger tables, runs `fn`, then unlocks and closes on
   * every path. Throws `LockTimeoutError` when the wait runs out,
   * `DATABASE_UNREACHABLE` / `DATABASE_AUTH_FAILED` when it cannot connect.
   */
  withLock<T>(options: LockOptions, fn: (session: LedgerSession) => Promise<T>): Promise<T>;
  /** Opens one connection without the lock and without creating anything; closes it on every path. */
  withReader<T>(fn: (reader: LedgerReader) => Promise<T>): Promise<T>;
}

/** Throw-away databases on the same server as the target, to replay history in. */
export interface ScratchDatabases {
  /**
   * Creates an empty database, runs `fn` with a `MigrationDatabase` on it
   * (same ledger schema), and drops it on every path. `purpose` names the
   * command in messages. Throws `SCRATCH_DATABASE_FAILED` when it cannot be
   * created (e.g. the role lacks CREATEDB).
   */
  withScratch<T>(purpose: string, fn: (db: MigrationDatabase) => Promise<T>): Promise<T>;
}
