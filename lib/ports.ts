/**
 * The ports between the engine (`run.ts` + `core/`) and the outside world.
 * Adapters implement them and only move bytes and rows; every decision
 * (order, checksums, what to run, when to stop) is the engine's.
 */
import type { AppliedMigration, Migration } from './core/migration';
import type { RehearsalOutcome } from './core/rehearsal';
import type { DriftReport } from './core/drift';
import type { SchemaObject } from './core/schema';
import type { StageRecord } from './core/stage-record';
import type { LastRun } from './core/last-run';
import type { ApplyRequest, RecordRequest, RehearsalLimits, RehearseRequest, RevertRequest, RunFinish, RunStart, StageFacts } from './ledger-requests';

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

/**
 * A request to stop, from outside the run (the CLI's Ctrl-C or SIGTERM), passed
 * in as the deadline is; an `AbortSignal` is one. Once `aborted`, no migration
 * starts and the one in flight is cancelled; `reason` names what stopped it.
 */
export interface StopSignal {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
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

/** What a locked session is asked to do, and the run rows it opens and closes: see `ledger-requests.ts`. */
export { RunOutcome } from './ledger-requests';
export type { ApplyRequest, RecordRequest, RehearsalLimits, RehearseRequest, RevertRequest, RunFinish, RunStart, StageFacts } from './ledger-requests';

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
  /**
   * The newest row of the runs table, by id, for `status`. None, or no
   * ledger yet: null, not an error.
   */
  readLastRun(): Promise<LastRun | null>;
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
   * May be called again before the previous call settled (the engine sends
   * the next transactional migration while one runs): the calls run in the
   * order they were made, and a later one commits only if every earlier call
   * that had not settled when it was made committed; otherwise it runs nothing
   * and rejects with an error of its own, which the caller does not report
   * (the earlier failure is the run's). The caller sends no other request
   * on the session while an `apply` is unsettled, and none with
   * `noTransaction` behind one.
   */
  apply(request: ApplyRequest): Promise<{ durationMs: number }>;
  /**
   * Runs one migration's reverse script and deletes `request.rows` from the
   * ledger. Transactional: the statements and the deletion commit together
   * or not at all, so a failure leaves the migration applied.
   * `noTransaction` (the migration's directive): the rows become `running`
   * first (committed), statements run one by one, then the rows are deleted
   * (or become `failed` with the error: dirty, as for `apply`). Returns the
   * duration. Throws `MigrationFailedError` naming the `.down.sql` file, line
   * and SQLSTATE, with `reverting: true`; the connection stays usable.
   */
  revert(request: RevertRequest): Promise<{ durationMs: number }>;
  /**
   * Asks the server to cancel what the session's connection runs now
   * (PostgreSQL's cancel request, on a connection of its own, which needs no
   * credentials), so the `apply` or `revert` in flight fails with SQLSTATE
   * 57014: a transactional one rolls back; a `noTransaction` one keeps what
   * ran before and its rows become `failed` (the adapter writes them only
   * after the cancel was delivered). Resolves once the server received the
   * request, or it could not be sent (best effort, within about 2 s); never
   * rejects. Arriving while the session is idle, it has no effect. The caller
   * sends nothing else on the session until it resolved.
   */
  cancel(): Promise<void>;
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
   * Settles a `running`/`failed` row by hand: `applied` marks it applied
   * (its `error` cleared), `rolled-back` deletes it so it runs again. Returns
   * the failure the row held (null for an interrupted `running` row), which
   * the caller keeps in the run history. Throws `NOT_DIRTY` when the row is
   * missing or already applied.
   */
  resolveDirty(id: string, outcome: 'applied' | 'rolled-back', runId: number): Promise<Record<string, unknown> | null>;
  /**
   * The indexes of the managed schemas (every schema but the system's and the
   * ledger's) that are not valid: left by a `CREATE INDEX CONCURRENTLY` that
   * failed (or still runs). Empty when there is none.
   */
  invalidIndexes(): Promise<{ schema: string; table: string; index: string }[]>;
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
  /**
   * Rehearses migrations and leaves no trace: opens ONE transaction with
   * `limits` as its local `lock_timeout` and `statement_timeout`, runs each
   * request's statements in order inside a savepoint of its own, and rolls
   * the whole transaction back at the end, on every path. Writes no ledger
   * and no runs row. Returns one outcome per request, in request order:
   * `rehearsed` with its duration; `failed` with the failure (file, line,
   * column, statement, SQLSTATE, message, Postgres' fields) and the facts
   * about the objects it names, looked up after rolling back to its
   * savepoint (so later requests run as if it had not run), or with its
   * `refused` failure as given (nothing of it runs); or
   * `not-rehearsable` for a request with `noTransaction` (the engine sends
   * one only refused) and for a request whose `dependsOn` names a request that
   * failed or was itself skipped for that reason, its `reason` naming which.
   * An empty list opens no transaction and returns `[]`. Throws only when
   * the rehearsal cannot go on (the connection was lost: the server rolls
   * back then).
   */
  rehearse(requests: readonly RehearseRequest[], limits: RehearsalLimits): Promise<RehearsalOutcome[]>;
  /** Reads the schema fingerprint and the recorded stage-order overrides, for the stage record. */
  readStageFacts(): Promise<StageFacts>;
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
  /**
   * True for a session that must change nothing (a rehearsal): the lock is
   * taken as usual, but the ledger is neither created nor upgraded and
   * abandoned runs are left as they are. Such a session only reads the
   * ledger (`exists: false` when there is none) and rehearses.
   */
  readOnly?: boolean;
  /** Gives up waiting for the lock once `signal` is aborted, throwing `error()` (the run was interrupted). */
  stop?: { signal: StopSignal; error: () => Error };
  /**
   * Work that must succeed before the session starts (reading the bundle):
   * the connection opens meanwhile, and nothing is sent on it but the
   * session's settings until it resolves. When it rejects, its error is
   * thrown, whatever the connection did.
   */
  ready?: Promise<unknown>;
}

/**
 * The records of the stage a migrate function serves, in the stage order
 * (`custom.stagegate.stages`). Only the migrate function has one; local runs
 * have no stage and skip the order check.
 */
export interface StageRecords {
  /** This stage's name. */
  readonly stage: string;
  /** The stage before this one in the order; null for the first stage. */
  readonly previousStage: string | null;
  /**
   * The previous stage's record. Called only when `previousStage` is set and
   * the run would apply something. Null when that stage never recorded a run.
   * Throws `STAGE_RECORD_INVALID`, `STAGE_RECORD_ACCESS_DENIED` or `STAGE_RECORD_FAILED`.
   */
  previous(): Promise<StageRecord | null>;
  /** Replaces this stage's record after a successful run. Throws `STAGE_RECORD_ACCESS_DENIED` or `STAGE_RECORD_FAILED`. */
  write(record: StageRecord): Promise<void>;
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
  /** Opens one connection without the lock and without creating anything; closes it on every path. `ready` as in {@link LockOptions}. */
  withReader<T>(fn: (reader: LedgerReader) => Promise<T>, ready?: Promise<unknown>): Promise<T>;
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
