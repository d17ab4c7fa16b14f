/**
 * What a command returns: plain, serialisable data. The CLI prints it with
 * `--json`, the Lambda handler returns it, and pipelines read it.
 */
import type { DriftReport } from './drift';
import type { RehearsalOutcome } from './rehearsal';
import type { LastRun } from './last-run';

export const RunStatus = {
  /** Migrations were applied (or squashes recorded). */
  APPLIED: 'applied',
  /** Nothing to do. */
  UP_TO_DATE: 'up-to-date',
  /** `plan` / `status`: there is work to do. */
  PENDING: 'pending',
  /** Time ran out between migrations; what is left is in `pending`. Invoke again. */
  INCOMPLETE: 'incomplete',
  /** `migrate --to`: the database is at the target, and reaching it reverted migrations (listed in `reverted`). */
  REVERTED: 'reverted',
  /** `plan --rehearse`: every pending migration that could be rehearsed ran without error, and was rolled back. */
  REHEARSED: 'rehearsed',
  /** `status`: `migrate` would refuse to run (a dirty, changed or unknown migration, …); `blocked` says why. */
  BLOCKED: 'blocked',
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

export const Action = {
  PLAN: 'plan',
  MIGRATE: 'migrate',
  STATUS: 'status',
  RESOLVE: 'resolve',
  DRIFT: 'drift',
  ADOPT: 'adopt',
} as const;
export type Action = (typeof Action)[keyof typeof Action];

export interface AppliedEntry {
  id: string;
  durationMs: number;
  /** `recorded`: a squash written to the ledger without running SQL; `adopted`: see `stagegate adopt`. */
  method: 'executed' | 'recorded' | 'adopted';
}

/** A migration a `migrate --to` run reverted: its reverse script ran and its ledger rows are gone. */
export interface RevertedEntry {
  id: string;
  durationMs: number;
}

export interface PlannedEntry {
  id: string;
  /** The file that runs: the `.down.sql` for a `revert` step. */
  file: string;
  kind: 'apply' | 'record' | 'revert';
  noTransaction: boolean;
  /** `revert` steps: the checksum of the reverse script that will run (not recorded when it was applied). */
  downChecksum?: string;
  /** `revert` steps: what the reverse script destroys (`table widget`, `column widget.colour`, `rows of audit`); see `reverseLosses`. */
  losses?: string[];
  /** `plan`: applied migrations that depend on this pending one (it was merged late; see `merged-late.ts`). */
  appliedDependents?: string[];
}

/** The state of one migration in `status`. */
export const MigrationState = {
  APPLIED: 'applied',
  PENDING: 'pending',
  /** Replaced by a squash that is in effect; it never runs. */
  REPLACED: 'replaced',
  /** A no-transaction migration that failed or was interrupted. */
  DIRTY: 'dirty',
  /** Applied, but its file changed since. */
  CHECKSUM_MISMATCH: 'checksum-mismatch',
  /** Applied on the database, unknown to this bundle. */
  UNKNOWN: 'unknown',
} as const;
export type MigrationState = (typeof MigrationState)[keyof typeof MigrationState];

export interface StatusEntry {
  id: string;
  state: MigrationState;
  appliedAt: string | null;
}

/**
 * Drift found against the baseline: by `plan` and `status` always, by
 * `migrate` when it went on despite it (setting `warn`).
 */
export type DriftResult = DriftReport;

export interface RunResult {
  ok: true;
  action: Action;
  bundleId: string;
  status: RunStatus;
  /** What this run applied, in order. */
  applied: AppliedEntry[];
  /** Ids still to run, in the order they would run. */
  pending: string[];
  /** `plan`: the steps in order. */
  plan?: PlannedEntry[];
  /** `plan`/`migrate` with a target (`--to`): the target as given. */
  to?: string;
  /** `migrate` with a target: what this run reverted, in order (`pending` lists reverts and applies still to run). */
  reverted?: RevertedEntry[];
  /** `plan --rehearse`: each step of the plan, rehearsed or not, in order (see `rehearsal.ts`). */
  rehearsal?: RehearsalOutcome[];
  /** `status`: every migration with its state, then unknown ones. */
  migrations?: StatusEntry[];
  /** See {@link DriftResult}. */
  drift?: DriftResult;
  /** `status` with status `blocked`: the error `migrate` (and `plan`) would stop with, before running anything. */
  blocked?: { code: string; message: string; remedy: string };
  /** `status`: the newest run of the ledger's runs table (null: none yet). */
  lastRun?: LastRun | null;
  /** `migrate` on a stage: whether the stage record was written (a failure to write it fails nothing). */
  stageRecord?: { written: true } | { written: false; reason: string };
  /** `migrate` on a stage that ran under a stage-order override. */
  stageOrderOverride?: { reason: string; previousStage: string; missing: string[] };
  durationMs: number;
}

/** The failure form, the same shape for every caller. */
export interface FailureResult {
  ok: false;
  action: Action | null;
  bundleId: string | null;
  error: { code: string; message: string; remedy: string } & Record<string, unknown>;
  /** What was applied before the failure (still applied and recorded). */
  applied: AppliedEntry[];
  /** `migrate --to`: what was reverted before the failure (stays reverted). */
  reverted?: RevertedEntry[];
}
