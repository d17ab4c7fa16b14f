/**
 * What the engine asks a locked session to do (apply, rehearse, record,
 * revert) and the run rows it opens and closes: the requests of
 * `LedgerSession` in `ports.ts`, which re-exports them.
 */
import type { MigrationFailure } from './core/errors';
import type { Migration } from './core/migration';
import type { SqlStatement } from './core/sql-split';
import type { StageOverride } from './core/stage-record';

/** One migration to execute, with everything the adapter needs and nothing to decide. */
export interface ApplyRequest {
  migration: Migration;
  /** The migration's statements, split by the engine, with their place in the file; none of them is one that cannot run (see `core/unrunnable.ts`). */
  statements: SqlStatement[];
  bundleId: string;
  runId: number;
  appliedBy: string;
  /** Value for `lock_timeout` during this migration, in ms (0 = none). */
  lockTimeoutMs: number;
  /** Value for `statement_timeout` during this migration, in ms (0 = none). */
  statementTimeoutMs: number;
  /**
   * Set when the engine sends this migration before the answer of the one
   * before it (`behind`, sent just before on the same session) came: it must
   * not run unless that one committed, even if that one has failed already.
   */
  behind?: string;
}

/** One transactional migration to rehearse (run for real, then rolled back with the rest), or one the engine refused. */
export interface RehearseRequest {
  migration: Migration;
  /** The migration's statements, split by the engine, with their place in the file. */
  statements: SqlStatement[];
  /** Ids of earlier requests of the same call that this one depends on. */
  dependsOn: string[];
  /**
   * Set when the engine refused the script (it cannot run, see
   * `core/unrunnable.ts`; also a `no-transaction` one): nothing of it is
   * sent, it is reported failed with this failure, and what depends on it is
   * skipped as behind any failure.
   */
  refused?: MigrationFailure;
}

/** Timeouts of a rehearsal's transaction, in ms (0 = none). */
export interface RehearsalLimits {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  /**
   * Epoch ms (`Date.now()`) after which no migration is rehearsed, and to
   * which each one's statement_timeout is capped; absent without a deadline.
   */
  stopAt?: number;
}

/** A ledger row written without running SQL (a squash whose originals were all applied). */
export interface RecordRequest {
  migration: Migration;
  bundleId: string;
  runId: number;
  appliedBy: string;
}

/**
 * One reverse step to execute: the migration's reverse script and the ledger
 * rows that go with it. The engine has decided that it runs.
 */
export interface RevertRequest {
  migration: Migration;
  /** The reverse script's statements (`.down.sql`), split by the engine, with their place in that file; none cannot run (see `core/unrunnable.ts`). */
  statements: SqlStatement[];
  /** Ledger rows to delete: the migration's own and, for a squash, those of the migrations it replaces. */
  rows: string[];
  runId: number;
  /** Value for `lock_timeout` during this step, in ms (0 = none). */
  lockTimeoutMs: number;
  /** Value for `statement_timeout` during this step, in ms (0 = none). */
  statementTimeoutMs: number;
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
  /** A stage-order override this run proceeds under; kept with the run. */
  stageOverride?: Pick<StageOverride, 'reason' | 'previousStage' | 'missing'>;
}

/** What a stage record takes from the database besides the ledger rows. */
export interface StageFacts {
  /** The schema fingerprint of the managed schemas (the ledger's excluded); null when it cannot be computed. */
  schemaHash: string | null;
  /** Every run that proceeded under a stage-order override, oldest first. */
  overrides: StageOverride[];
}

export interface RunFinish {
  outcome: RunOutcome;
  applied: string[];
  /** Ids this run reverted, in order (`migrate --to`); none when left out. */
  reverted?: string[];
  /** The error's JSON form (code, message, migration...), already free of secrets. */
  error?: Record<string, unknown>;
  /** What a person decided and why (`drift-accept`, `adopt`): reason, differences accepted, what was not verified. */
  details?: Record<string, unknown>;
}
