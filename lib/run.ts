import { verifyClaims } from './core/bundle-claims';
import { analyse, plan, type PlanStep } from './core/plan';
import { planTo } from './core/reverse-plan';
import { asRunnerError, MigrationRunnerError, RehearsalFailedError } from './core/errors';
import type { BundleKnowledge } from './core/explain';
import { RehearsalStatus } from './core/rehearsal';
import { DEFAULTS } from './config';
import { rehearseSteps } from './run-rehearsal';
import { checksumOf } from './core/checksum';
import { Action, RunStatus, type AppliedEntry, type PlannedEntry, type RevertedEntry, type RunResult } from './core/result';
import { LedgerState, reverseFile, type AppliedMigration } from './core/migration';
import { statusEntries } from './core/status';
import { capTimeout, runSteps, type StepProgress } from './run-steps';
import { RunOutcome, type BundleSource, type Clock, type LedgerSession, type LoadedBundle, type Logger, type MigrationDatabase, type RunStart, type StageRecords } from './ports';
import { checkStageOrder, recordStage, type StageOrderOverride } from './stage-run';

/** What the engine needs from the outside world. */
export interface RunDependencies {
  source: BundleSource;
  db: MigrationDatabase;
  logger: Logger;
  clock: Clock;
  /** The stage order, for the migrate function: checked before applying, recorded after success. Local runs have none. */
  stages?: StageRecords;
}

/** Limits that come from configuration. */
export interface RunSettings {
  /** How long to wait for another run's lock, in ms. */
  lockWaitMs: number;
  /** `lock_timeout` for each migration, in ms (0 = none). */
  lockTimeoutMs: number;
  /** `statement_timeout` for each migration, in ms (0 = none). */
  statementTimeoutMs: number;
  /** `lock_timeout` of a rehearsal's transaction, in ms (0 = none); default 2 s. */
  rehearsalLockTimeoutMs?: number;
}

export interface RunRequest {
  action: 'plan' | 'migrate' | 'status';
  /** Who runs this, for the ledger: `cli:alice@laptop`, `lambda:<function>`. */
  actor: string;
  /** Epoch ms after which no migration may still be running (Lambda's clock). */
  deadline?: number;
  /** Time kept in reserve before the deadline, in ms. */
  safetyMarginMs?: number;
  /**
   * `plan` and `migrate` only: go to this target instead of applying every
   * pending migration, reverting what it requires (see `core/reverse-plan.ts`):
   * a migration id, `<app>/zero` or `zero` (nothing applied).
   */
  target?: string;
  /**
   * `plan` only: rehearse the pending migrations (run them for real in one
   * transaction, then roll it back). Takes the ledger lock; a migration that
   * fails makes the run throw `RehearsalFailedError` with the report.
   */
  rehearse?: boolean;
  /** Proceed although the previous stage lacks migrations this run applies; recorded with the run. */
  stageOrderOverride?: StageOrderOverride;
}

/**
 * The one orchestrator: load the verified bundle, then plan, show status or
 * migrate. `migrate` holds the ledger lock for the whole run, plans before
 * running anything, runs each migration in its own transaction, and stops
 * only between migrations when the deadline is near.
 *
 * @example
 * const result = await runMigrations({ source, db, logger, clock }, { action: 'migrate', actor: 'cli:me' }, settings);
 */
export async function runMigrations(deps: RunDependencies, request: RunRequest, settings: RunSettings): Promise<RunResult> {
  const started = deps.clock.now();
  const bundle = await deps.source.load();
  // No count of migrations here: a bundle pinned by its hash is decoded only if the run needs it.
  deps.logger.info('bundle.loaded', { bundle: bundle.id, origin: bundle.origin });
  try {
    if (request.action === 'migrate') return await migrate(deps, request, settings, bundle, started);
    if (request.action === 'plan' && request.rehearse) return await rehearse(deps, request, settings, bundle, started);
    return await readOnly(deps, request, bundle, started);
  } catch (error) {
    // Every failure after loading says which bundle it was about.
    const runnerError = asRunnerError(error);
    runnerError.details.bundleId ??= bundle.id;
    throw runnerError;
  }
}

function readOnly(deps: RunDependencies, request: RunRequest, bundle: LoadedBundle, started: number): Promise<RunResult> {
  return deps.db.withReader(async (reader) => {
    const ledger = await reader.readLedger();
    if (request.action === 'status') {
      const analysis = analyse(bundle.migrations, ledger.rows);
      const pending = analysis.steps.map((s) => s.migration.id);
      return result(Action.STATUS, bundle.id, pending.length > 0 ? RunStatus.PENDING : RunStatus.UP_TO_DATE, [], pending, deps.clock.now() - started, {
        migrations: statusEntries(bundle.migrations, ledger.rows, analysis),
      });
    }
    const steps = planVerified(bundle, ledger.rows, request.target);
    deps.logger.info('plan.ready', { bundle: bundle.id, steps: steps.length, ...targetFields(request) });
    const pending = steps.map((s) => s.migration.id);
    return result(Action.PLAN, bundle.id, pending.length > 0 ? RunStatus.PENDING : RunStatus.UP_TO_DATE, [], pending, deps.clock.now() - started, {
      plan: steps.map(toPlannedEntry),
      ...targetFields(request),
    });
  });
}

/**
 * `plan --rehearse`: under the ledger lock (a rehearsal never races a real
 * run) and changing nothing, plans as usual (every refusal applies), then
 * rehearses the steps in one transaction that is rolled back. No ledger row
 * and no runs row: the report is the result, or the `RehearsalFailedError`.
 */
async function rehearse(deps: RunDependencies, request: RunRequest, settings: RunSettings, bundle: LoadedBundle, started: number): Promise<RunResult> {
  const remaining = remainingMs(deps.clock, request);
  const lockWaitMs = Math.max(0, Math.min(settings.lockWaitMs, remaining ?? Infinity));
  return deps.db.withLock({ waitMs: lockWaitMs, readOnly: true }, async (session) => {
    const ledger = await session.readLedger();
    const steps = planVerified(bundle, ledger.rows);
    const plan = steps.map(toPlannedEntry);
    const pending = steps.map((s) => s.migration.id);
    deps.logger.info('plan.ready', { bundle: bundle.id, steps: steps.length, pending, rehearse: true });
    const limits = {
      lockTimeoutMs: capTimeout(settings.rehearsalLockTimeoutMs ?? DEFAULTS.rehearsalLockTimeoutMs, remainingMs(deps.clock, request)),
      statementTimeoutMs: capTimeout(settings.statementTimeoutMs, remainingMs(deps.clock, request)),
    };
    const outcomes = await rehearseSteps(session, deps.logger, steps, limits, knowledgeOf(bundle, ledger.rows));
    const failed = outcomes.filter((o) => o.status === RehearsalStatus.FAILED).length;
    deps.logger.info('rehearsal.completed', { bundle: bundle.id, migrations: outcomes.length, failed });
    if (failed > 0) throw new RehearsalFailedError(bundle.id, outcomes, plan);
    const status = steps.length > 0 ? RunStatus.REHEARSED : RunStatus.UP_TO_DATE;
    return result(Action.PLAN, bundle.id, status, [], pending, deps.clock.now() - started, { plan, rehearsal: outcomes });
  });
}

/** What explanations may say about the bundle's other migrations. */
function knowledgeOf(bundle: LoadedBundle, ledger: readonly AppliedMigration[]): BundleKnowledge {
  return { migrations: bundle.migrations, applied: new Set(ledger.filter((r) => r.state === LedgerState.APPLIED).map((r) => r.id)) };
}

async function migrate(deps: RunDependencies, request: RunRequest, settings: RunSettings, bundle: LoadedBundle, started: number): Promise<RunResult> {
  const lockWaitMs = Math.max(0, Math.min(settings.lockWaitMs, remainingMs(deps.clock, request) ?? Infinity));
  const timeouts = { lockTimeoutMs: settings.lockTimeoutMs, statementTimeoutMs: settings.statementTimeoutMs };
  return deps.db.withLock({ waitMs: lockWaitMs, timeouts }, async (session) => {
    deps.logger.info('lock.acquired', { bundle: bundle.id, waitedMs: deps.clock.now() - started });
    // The stage record is written after every successful run, up to date included.
    const withRecord = async (done: RunResult): Promise<RunResult> =>
      deps.stages ? { ...done, stageRecord: await recordStage(deps.stages, session, deps.logger, deps.clock, bundle.id) } : done;
    // Deploys that find nothing to do are the common case: one query answers them. The mark says nothing about a target.
    if (request.target === undefined && (await session.isMarkedComplete(bundle.id))) {
      deps.logger.info('plan.ready', { bundle: bundle.id, steps: 0, pending: [], reason: 'the ledger is as this bundle left it' });
      deps.logger.info('run.completed', { bundle: bundle.id, status: RunStatus.UP_TO_DATE, applied: 0 });
      return withRecord(result(Action.MIGRATE, bundle.id, RunStatus.UP_TO_DATE, [], [], deps.clock.now() - started));
    }
    const ledger = await session.readLedger();
    let steps: PlanStep[];
    let stageOverride: RunStart['stageOverride'];
    try {
      steps = planVerified(bundle, ledger.rows, request.target);
      // Only what the run applies needs the previous stage: reverting is never out of order.
      const toApply = steps.filter((s) => s.kind !== 'revert').map((s) => s.migration.id);
      if (deps.stages) stageOverride = await checkStageOrder(deps.stages, deps.logger, toApply, request.stageOrderOverride);
    } catch (error) {
      await recordRefusal(session, deps.logger, request, bundle.id, error);
      throw error;
    }
    deps.logger.info('plan.ready', { bundle: bundle.id, migrations: bundle.migrations.length, steps: steps.length, pending: steps.map((s) => s.migration.id), ...targetFields(request), ...stepOrder(request, steps) });
    if (steps.length === 0) {
      // At a target, the bundle may still have pending migrations: only an empty full plan may be marked.
      if (request.target === undefined) await markComplete(session, deps.logger, bundle.id);
      deps.logger.info('run.completed', { bundle: bundle.id, status: RunStatus.UP_TO_DATE, applied: 0 });
      return withRecord(result(Action.MIGRATE, bundle.id, RunStatus.UP_TO_DATE, [], [], deps.clock.now() - started, targetFields(request, [])));
    }
    const outcome = await runPlan(deps, request, settings, session, { bundle, steps, knowledge: knowledgeOf(bundle, ledger.rows) }, started, stageOverride);
    return withRecord(stageOverride ? { ...outcome, stageOrderOverride: stageOverride } : outcome);
  });
}

async function runPlan(
  deps: RunDependencies,
  request: RunRequest,
  settings: RunSettings,
  session: LedgerSession,
  work: { bundle: LoadedBundle; steps: PlanStep[]; knowledge: BundleKnowledge },
  started: number,
  stageOverride: RunStart['stageOverride'],
): Promise<RunResult> {
  const { bundle, steps } = work;
  const runId = await session.startRun({ action: Action.MIGRATE, bundleId: bundle.id, actor: request.actor, ...(stageOverride ? { stageOverride } : {}) });
  const progress: StepProgress = { applied: [], reverted: [] };
  const stopAt = request.deadline === undefined ? null : request.deadline - (request.safetyMarginMs ?? 0);
  const context = { session, logger: deps.logger, clock: deps.clock, bundleId: bundle.id, runId, actor: request.actor, stopAt, knowledge: work.knowledge, ...settingsTimeouts(settings) };
  try {
    const done = await runSteps(context, steps, progress);
    const pending = steps.slice(done).map((s) => s.migration.id);
    const status = pending.length > 0 ? RunStatus.INCOMPLETE : progress.reverted.length > 0 ? RunStatus.REVERTED : RunStatus.APPLIED;
    await session.finishRun(runId, { outcome: pending.length > 0 ? RunOutcome.INCOMPLETE : RunOutcome.SUCCEEDED, ...historyOf(progress) });
    if (pending.length === 0 && request.target === undefined) await markComplete(session, deps.logger, bundle.id);
    deps.logger.info('run.completed', { bundle: bundle.id, status, applied: progress.applied.length, reverted: progress.reverted.length, pending: pending.length });
    return result(Action.MIGRATE, bundle.id, status, progress.applied, pending, deps.clock.now() - started, targetFields(request, progress.reverted));
  } catch (caught) {
    const error = asRunnerError(caught);
    error.details.applied = progress.applied;
    if (request.target !== undefined) error.details.reverted = progress.reverted;
    await finishFailed(session, deps.logger, runId, progress, error);
    throw error;
  }
}

const settingsTimeouts = (settings: RunSettings): { lockTimeoutMs: number; statementTimeoutMs: number } => ({
  lockTimeoutMs: settings.lockTimeoutMs,
  statementTimeoutMs: settings.statementTimeoutMs,
});

/** The run's history row: the ids applied and reverted. */
const historyOf = (progress: StepProgress): { applied: string[]; reverted: string[] } => ({
  applied: progress.applied.map((a) => a.id),
  reverted: progress.reverted.map((r) => r.id),
});

/** With a target, the steps in the plan event, so that a reverse is shown before it runs. */
function stepOrder(request: RunRequest, steps: PlanStep[]): { order?: { kind: PlanStep['kind']; id: string }[] } {
  return request.target === undefined ? {} : { order: steps.map((s) => ({ kind: s.kind, id: s.migration.id })) };
}

/** `to` (and, for `migrate`, `reverted`) in a result, only when the run had a target. */
function targetFields(request: RunRequest, reverted?: RevertedEntry[]): Pick<RunResult, 'to' | 'reverted'> {
  if (request.target === undefined) return {};
  return reverted === undefined ? { to: request.target } : { to: request.target, reverted };
}

/**
 * The plan, once what it would run is known to say what its SQL says: a
 * bundle pinned by its hash was loaded without recomputing its claims, so
 * they are recomputed here for the steps (nothing, when nothing is pending).
 * With a target, what is reverted depends on every applied migration's
 * dependencies and directives, so the whole bundle is verified first.
 */
function planVerified(bundle: LoadedBundle, ledger: readonly AppliedMigration[], target?: string): PlanStep[] {
  if (target !== undefined) {
    if (!bundle.allVerified) verifyClaims(bundle.migrations, bundle.migrations, bundle.origin);
    return planTo(bundle.migrations, ledger, target);
  }
  const steps = plan(bundle.migrations, ledger);
  if (!bundle.allVerified) verifyClaims(bundle.migrations, steps.map((s) => s.migration), bundle.origin);
  return steps;
}

/** Milliseconds left before the deadline minus the safety margin, or null without a deadline. */
function remainingMs(clock: Clock, request: RunRequest): number | null {
  if (request.deadline === undefined) return null;
  return request.deadline - (request.safetyMarginMs ?? 0) - clock.now();
}

/** The mark only spares the next run some work: failing to write it fails nothing. */
async function markComplete(session: LedgerSession, logger: Logger, bundleId: string): Promise<void> {
  try {
    await session.markComplete(bundleId);
  } catch (error) {
    logger.warn('ledger.mark_not_written', { reason: asRunnerError(error).message });
  }
}

async function recordRefusal(session: LedgerSession, logger: Logger, request: RunRequest, bundleId: string, error: unknown): Promise<void> {
  try {
    const runId = await session.startRun({ action: Action.MIGRATE, bundleId, actor: request.actor });
    await finishFailed(session, logger, runId, { applied: [], reverted: [] }, asRunnerError(error));
  } catch (secondary) {
    logger.warn('run.history_not_written', { reason: asRunnerError(secondary).message });
  }
}

async function finishFailed(session: LedgerSession, logger: Logger, runId: number, progress: StepProgress, error: MigrationRunnerError): Promise<void> {
  logger.error('run.failed', { code: error.code, message: error.message, applied: progress.applied.length, reverted: progress.reverted.length });
  try {
    const { applied: _omit, reverted: _omitToo, ...json } = error.toJSON();
    await session.finishRun(runId, { outcome: RunOutcome.FAILED, ...historyOf(progress), error: json });
  } catch (secondary) {
    // The connection may be gone; the original error matters more than the history row.
    logger.warn('run.history_not_written', { runId, reason: asRunnerError(secondary).message });
  }
}

function toPlannedEntry(step: PlanStep): PlannedEntry {
  const { migration } = step;
  if (step.kind === 'revert') {
    return { id: migration.id, file: reverseFile(migration.file), kind: step.kind, noTransaction: migration.directives.noTransaction, downChecksum: checksumOf(migration.downSql ?? '') };
  }
  return { id: migration.id, file: migration.file, kind: step.kind, noTransaction: migration.directives.noTransaction };
}

function result(
  action: RunResult['action'],
  bundleId: string,
  status: RunStatus,
  applied: AppliedEntry[],
  pending: string[],
  durationMs: number,
  extra: Pick<RunResult, 'plan' | 'migrations' | 'to' | 'reverted' | 'rehearsal'> = {},
): RunResult {
  return { ok: true, action, bundleId, status, applied, pending, ...extra, durationMs };
}
