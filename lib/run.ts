import { analyse, type PlanStep } from './core/plan';
import { LedgerState } from './core/migration';
import { asRunnerError, MigrationFailedError, RehearsalFailedError } from './core/errors';
import { alsoApplied, pendingMakersOf, type BundleKnowledge } from './core/bundle-makers';
import { RehearsalStatus } from './core/rehearsal';
import { DEFAULTS } from './config';
import { rehearseSteps } from './run-rehearsal';
import { Action, RunStatus, type RunResult } from './core/result';
import { statusEntries } from './core/status';
import { refuseUnrunnable } from './core/step-statements';
import { stagedMigrations } from './core/stage-order';
import { DriftMode, type DriftReport } from './core/drift';
import { readDriftAhead, storeBaselineAfterRun, storeFirstBaseline } from './drift-check';
import { capTimeout, runSteps, type StepProgress } from './run-steps';
import { interruptible, stopWaiting } from './run-interrupt';
import { finishFailed, historyOf, markComplete, recordRefusal } from './run-history';
import { plannedOf, result, stepOrder, targetFields, withAppliedDependents } from './run-result';
import { knowledgeOf, planVerified, refusalOf } from './run-plan';
import { RunOutcome, type BundleSource, type Clock, type LedgerSession, type LoadedBundle, type Logger, type MigrationDatabase, type RunStart, type StageRecords, type StopSignal } from './ports';
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
  /** On drift before a run changes the schema: stop (`fail`, the default) or report and go on (`warn`). */
  drift?: DriftMode;
}

export interface RunRequest {
  action: 'plan' | 'migrate' | 'status';
  /** Who runs this, for the ledger: `cli:alice@laptop`, `lambda:<function>`. */
  actor: string;
  /** Epoch ms after which no migration may still be running (Lambda's clock). */
  deadline?: number;
  /** Time kept in reserve before the deadline, in ms. */
  safetyMarginMs?: number;
  /** The stage the run serves (the migrate function's `STAGEGATE_STAGE`), for the words of a failure. */
  stage?: string;
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
  /**
   * `migrate` and `plan --rehearse`: a stop from outside (the CLI's Ctrl-C),
   * passed as the deadline is and handled like it (see `run-deadline.ts`):
   * no migration starts once it is aborted, the one in flight is cancelled,
   * and the run throws `InterruptedError` with what committed before.
   */
  stop?: StopSignal;
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
  // The database connects while the bundle is read and verified (the session waits for it): a bad bundle still fails as itself.
  const loading = deps.source.load().then((bundle) => {
    // No count of migrations here: a bundle pinned by its hash is decoded only if the run needs it.
    deps.logger.info('bundle.loaded', { bundle: bundle.id, origin: bundle.origin });
    return bundle;
  });
  try {
    if (request.action === 'migrate') return await migrate(deps, request, settings, loading, started);
    if (request.action === 'plan' && request.rehearse) return await rehearse(deps, request, settings, loading, started);
    return await readOnly(deps, request, loading, started);
  } catch (error) {
    const bundle = await loading.catch(() => null);
    if (bundle === null) throw error;
    // Every failure after loading says which bundle it was about.
    const runnerError = asRunnerError(error);
    runnerError.details.bundleId ??= bundle.id;
    throw runnerError;
  }
}

function readOnly(deps: RunDependencies, request: RunRequest, loading: Promise<LoadedBundle>, started: number): Promise<RunResult> {
  return deps.db.withReader(async (reader) => {
    const bundle = await loading;
    const ledger = await reader.readLedger();
    // Reported in the result, never refused: plan and status change nothing.
    const drift = await reader.readDrift();
    if (request.action === 'status') {
      const lastRun = ledger.exists ? await reader.readLastRun() : null;
      // A run still running (its session holds the lock) is applying the `running` rows written since it started: pending, not dirty.
      const live = lastRun?.outcome === 'running' ? Date.parse(lastRun.startedAt) : null;
      const rows = live === null ? ledger.rows : ledger.rows.filter((r) => !(r.state === LedgerState.RUNNING && Date.parse(r.appliedAt) >= live));
      const analysis = analyse(bundle.migrations, rows);
      const pending = analysis.steps.map((s) => s.migration.id);
      const blocked = refusalOf(bundle, rows);
      const status = blocked !== null ? RunStatus.BLOCKED : pending.length > 0 ? RunStatus.PENDING : RunStatus.UP_TO_DATE;
      return result(Action.STATUS, bundle.id, status, [], pending, deps.clock.now() - started, {
        migrations: statusEntries(bundle.migrations, rows, analysis),
        ...(blocked !== null && { blocked }),
        drift,
        lastRun,
      });
    }
    const steps = planVerified(bundle, ledger.rows, request.target);
    // What `migrate` would refuse before its first step, `plan` refuses too.
    refuseUnrunnable(steps, bundle.migrations);
    deps.logger.info('plan.ready', { bundle: bundle.id, steps: steps.length, ...targetFields(request.target) });
    const { plan, pending } = plannedOf(steps);
    if (request.target === undefined) withAppliedDependents(plan, bundle, ledger.rows);
    return result(Action.PLAN, bundle.id, pending.length > 0 ? RunStatus.PENDING : RunStatus.UP_TO_DATE, [], pending, deps.clock.now() - started, {
      plan,
      ...targetFields(request.target),
      drift,
    });
  }, loading);
}

/**
 * `plan --rehearse`: under the ledger lock (a rehearsal never races a real
 * run) and changing nothing, plans as usual (every refusal applies), then
 * rehearses the steps in one transaction that is rolled back. No ledger row
 * and no runs row: the report is the result, or the `RehearsalFailedError`.
 */
async function rehearse(deps: RunDependencies, request: RunRequest, settings: RunSettings, loading: Promise<LoadedBundle>, started: number): Promise<RunResult> {
  return deps.db.withLock({ waitMs: lockWaitMs(deps.clock, request, settings), readOnly: true, ready: loading, ...stopWaiting(request, 'plan') }, async (session) => {
    const bundle = await loading;
    const ledger = await session.readLedger();
    const steps = planVerified(bundle, ledger.rows);
    const { plan, pending } = plannedOf(steps);
    deps.logger.info('plan.ready', { bundle: bundle.id, steps: steps.length, pending, rehearse: true });
    const stopAt = stopAtOf(request);
    const limits = {
      lockTimeoutMs: capTimeout(settings.rehearsalLockTimeoutMs ?? DEFAULTS.rehearsalLockTimeoutMs, remainingMs(deps.clock, request)),
      statementTimeoutMs: capTimeout(settings.statementTimeoutMs, remainingMs(deps.clock, request)),
      // No migration is rehearsed past the deadline, and none runs beyond it.
      ...(stopAt === null ? {} : { stopAt }),
    };
    const outcomes = await interruptible(session, deps.clock, request.stop, () => rehearseSteps(session, deps.logger, steps, limits, knowledgeOf(bundle, ledger.rows)));
    const failed = outcomes.filter((o) => o.status === RehearsalStatus.FAILED).length;
    deps.logger.info('rehearsal.completed', { bundle: bundle.id, migrations: outcomes.length, failed });
    if (failed > 0) throw new RehearsalFailedError(bundle.id, outcomes, plan);
    // Out of time: `incomplete`, as a migrate stopped by its deadline; the next call rehearses it all with a full budget.
    const cut = outcomes.find((o) => o.outOfTime);
    if (cut) deps.logger.warn('run.stopped', { reason: 'deadline', rehearse: true, next: cut.id });
    const status = cut ? RunStatus.INCOMPLETE : steps.length > 0 ? RunStatus.REHEARSED : RunStatus.UP_TO_DATE;
    // Reported as `plan` reports it: a rehearsal changes nothing, so drift refuses nothing.
    const drift = await session.readDrift();
    return result(Action.PLAN, bundle.id, status, [], pending, deps.clock.now() - started, { plan, rehearsal: outcomes, drift });
  });
}

async function migrate(deps: RunDependencies, request: RunRequest, settings: RunSettings, loading: Promise<LoadedBundle>, started: number): Promise<RunResult> {
  return deps.db.withLock({ waitMs: lockWaitMs(deps.clock, request, settings), timeouts: settingsTimeouts(settings), ready: loading, ...stopWaiting(request, 'migrate') }, async (session) => {
    const bundle = await loading;
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
    // Not this bundle's mark, so work is likely: the drift check goes out with the ledger read, and the server runs it while we plan.
    const reading = session.readLedger();
    const driftAhead = readDriftAhead(session);
    let steps: PlanStep[];
    let stageOverride: RunStart['stageOverride'];
    let drift: DriftReport | undefined;
    const ledger = await reading.catch(async (error: unknown) => {
      await driftAhead.settled();
      throw error;
    });
    try {
      steps = planVerified(bundle, ledger.rows, request.target);
      // A script that cannot run (a psql meta-command, COPY … FROM STDIN) refuses the whole run, before its first step.
      refuseUnrunnable(steps, bundle.migrations);
      // Only what the run applies needs the previous stage: reverting is never out of order.
      if (deps.stages) stageOverride = await checkStageOrder(deps.stages, deps.logger, stagedMigrations(steps, bundle.migrations), request.stageOrderOverride);
      // Checked after planning, under the lock, before the first step (a reverse changes the schema too): a refused run changed nothing.
      if (steps.length > 0) drift = await driftAhead.check(deps.logger, settings.drift ?? DriftMode.FAIL, (differences) => pendingMakersOf(differences, knowledgeOf(bundle, ledger.rows)));
    } catch (error) {
      await driftAhead.settled();
      // A script refused before the first step: like any failed migration, it says what the run applied (and reverted): nothing.
      if (error instanceof MigrationFailedError) Object.assign(error.details, { applied: [], ...(request.target === undefined ? {} : { reverted: [] }) });
      await recordRefusal(session, deps.logger, request.actor, bundle.id, error);
      throw error;
    }
    await driftAhead.settled();
    deps.logger.info('plan.ready', { bundle: bundle.id, migrations: bundle.migrations.length, steps: steps.length, pending: steps.map((s) => s.migration.id), ...targetFields(request.target), ...stepOrder(request.target, steps) });
    if (steps.length === 0 || drift === undefined) return withRecord(await upToDate(deps, request, session, bundle.id, started));
    const outcome = await runPlan(deps, request, settings, session, { bundle, steps, knowledge: knowledgeOf(bundle, ledger.rows), drift }, started, stageOverride);
    return withRecord(stageOverride ? { ...outcome, stageOrderOverride: stageOverride } : outcome);
  });
}

/** Nothing to run: the mark for the fast path, and a first baseline on a ledger that has none. */
async function upToDate(deps: RunDependencies, request: RunRequest, session: LedgerSession, bundleId: string, started: number): Promise<RunResult> {
  // At a target, the bundle may still have pending migrations: only an empty full plan may be marked.
  if (request.target === undefined) await markComplete(session, deps.logger, bundleId);
  await storeFirstBaseline(session, deps.logger);
  deps.logger.info('run.completed', { bundle: bundleId, status: RunStatus.UP_TO_DATE, applied: 0 });
  return result(Action.MIGRATE, bundleId, RunStatus.UP_TO_DATE, [], [], deps.clock.now() - started, targetFields(request.target, []));
}

async function runPlan(
  deps: RunDependencies,
  request: RunRequest,
  settings: RunSettings,
  session: LedgerSession,
  work: { bundle: LoadedBundle; steps: PlanStep[]; knowledge: BundleKnowledge; drift: DriftReport },
  started: number,
  stageOverride: RunStart['stageOverride'],
): Promise<RunResult> {
  const { bundle, steps, drift } = work;
  const runId = await session.startRun({ action: Action.MIGRATE, bundleId: bundle.id, actor: request.actor, ...(stageOverride ? { stageOverride } : {}) });
  const progress: StepProgress = { applied: [], reverted: [] };
  const ran = (): number => progress.applied.length + progress.reverted.length;
  const stopAt = stopAtOf(request);
  // A no-transaction step may fail part-way: the baseline is stored before it, never with its partial effects.
  const checkpoint = (): Promise<void> => (ran() > 0 ? storeBaselineAfterRun(session, deps.logger, drift) : Promise.resolve());
  const stage = request.stage ?? deps.stages?.stage;
  // A failure's explanation counts what this run applied before it as applied: those migrations made their objects.
  const knowledge = alsoApplied(work.knowledge, () => progress.applied.map((a) => a.id));
  const context = { session, logger: deps.logger, clock: deps.clock, bundleId: bundle.id, runId, actor: request.actor, stopAt, knowledge, checkpoint, ...settingsTimeouts(settings), ...(stage ? { stage } : {}), ...(request.stop ? { stop: request.stop } : {}) };
  try {
    const done = await runSteps(context, steps, progress);
    const pending = steps.slice(done).map((s) => s.migration.id);
    const status = pending.length > 0 ? RunStatus.INCOMPLETE : progress.reverted.length > 0 ? RunStatus.REVERTED : RunStatus.APPLIED;
    await storeBaselineAfterRun(session, deps.logger, drift);
    await session.finishRun(runId, { outcome: pending.length > 0 ? RunOutcome.INCOMPLETE : RunOutcome.SUCCEEDED, ...historyOf(progress) });
    if (pending.length === 0 && request.target === undefined) await markComplete(session, deps.logger, bundle.id);
    deps.logger.info('run.completed', { bundle: bundle.id, status, applied: progress.applied.length, reverted: progress.reverted.length, pending: pending.length });
    const extra = { ...targetFields(request.target, progress.reverted), ...(drift.differences.length > 0 ? { drift } : {}) };
    return result(Action.MIGRATE, bundle.id, status, progress.applied, pending, deps.clock.now() - started, extra);
  } catch (caught) {
    const error = asRunnerError(caught);
    error.details.applied = progress.applied;
    if (request.target !== undefined) error.details.reverted = progress.reverted;
    // The steps committed before the failure are the schema now; a failed transactional one left nothing.
    if (ran() > 0 && steps[ran()]?.migration.directives.noTransaction !== true) await storeBaselineAfterRun(session, deps.logger, drift);
    await finishFailed(session, deps.logger, runId, progress, error);
    throw error;
  }
}

const settingsTimeouts = (settings: RunSettings): { lockTimeoutMs: number; statementTimeoutMs: number } => ({
  lockTimeoutMs: settings.lockTimeoutMs,
  statementTimeoutMs: settings.statementTimeoutMs,
});

/** How long to wait for the lock: the configured wait, but never past the deadline. */
const lockWaitMs = (clock: Clock, request: RunRequest, settings: RunSettings): number =>
  Math.max(0, Math.min(settings.lockWaitMs, remainingMs(clock, request) ?? Infinity));

/** The epoch ms after which no migration may start: the deadline minus the safety margin, or null without a deadline. */
const stopAtOf = (request: RunRequest): number | null => (request.deadline === undefined ? null : request.deadline - (request.safetyMarginMs ?? 0));

/** Milliseconds left before {@link stopAtOf}, or null without a deadline. */
function remainingMs(clock: Clock, request: RunRequest): number | null {
  const stopAt = stopAtOf(request);
  return stopAt === null ? null : stopAt - clock.now();
}
