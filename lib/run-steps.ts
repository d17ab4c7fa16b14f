import { DeadlineCutBy, type DeadlineCut } from './core/deadline-cut';
import { MigrationFailedError, MigrationRunnerError } from './core/errors';
import { explained, type BundleKnowledge } from './core/explain';
import type { PlanStep } from './core/plan';
import type { AppliedEntry, RevertedEntry } from './core/result';
import { settle, type Settled } from './core/settled';
import { statementsOf } from './core/step-statements';
import type { Clock, LedgerSession, Logger, StopSignal } from './ports';
import { DeadlineWatch, type Watched } from './run-deadline';
import { interruptedBefore, interruptedDuring, notSent } from './run-interrupt';

/** What executing steps needs from the run. */
export interface StepContext {
  session: LedgerSession;
  logger: Logger;
  clock: Clock;
  bundleId: string;
  runId: number;
  actor: string;
  /** Epoch ms after which no migration may still be running, minus the safety margin; null without one. */
  stopAt: number | null;
  /** The configured `lock_timeout` and `statement_timeout`, in ms (0 = none). */
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  /** What explanations of a failure may say about the bundle's other migrations. */
  knowledge: BundleKnowledge;
  /** Called before each no-transaction step (which may fail part-way): the drift baseline is stored then. */
  checkpoint?: () => Promise<void>;
  /** The stage the run serves, for the words of a failure the deadline caused. */
  stage?: string;
  /** A stop from outside (the CLI's Ctrl-C): handled as the deadline is, then the run throws `InterruptedError`. */
  stop?: StopSignal;
}

/** What the steps did so far, filled in as they run (so a failure can report it). */
export interface StepProgress {
  applied: AppliedEntry[];
  reverted: RevertedEntry[];
}

/** A step sent to the session: its outcome (settled, never rejecting) and what it was sent with. */
interface Sent extends Watched {
  outcome: Promise<Settled<{ durationMs: number }>>;
  /** Milliseconds left before `stopAt` when it was sent; null without a deadline. */
  remaining: number | null;
  /** The clock when it was sent. */
  sentAt: number;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  statements: number;
}

/** Sends a migration or reverse step now, with timeouts capped to the time left now; the watch counts it in flight. */
function send(ctx: StepContext, watch: DeadlineWatch | null, step: PlanStep, behind?: string): Sent {
  const { migration } = step;
  const remaining = remainingMs(ctx);
  const timeouts = { lockTimeoutMs: capTimeout(ctx.lockTimeoutMs, remaining), statementTimeoutMs: capTimeout(ctx.statementTimeoutMs, remaining) };
  const statements = statementsOf(step);
  const done =
    step.kind === 'revert'
      ? ctx.session.revert({ migration, statements, rows: step.rows, runId: ctx.runId, ...timeouts })
      : ctx.session.apply({ migration, statements, bundleId: ctx.bundleId, runId: ctx.runId, appliedBy: ctx.actor, ...timeouts, ...(behind ? { behind } : {}) });
  const sent: Sent = { outcome: settle(done), remaining, sentAt: ctx.clock.now(), ...timeouts, statements: statements.length };
  if (watch !== null) sent.outcome = watch.track(sent, sent.outcome);
  return sent;
}

function remainingMs(ctx: StepContext): number | null {
  return ctx.stopAt === null ? null : ctx.stopAt - ctx.clock.now();
}

/** A migration that runs in its own transaction, which the session may pipeline behind another one. */
const chainable = (step: PlanStep | undefined): step is PlanStep => step?.kind === 'apply' && !step.migration.directives.noTransaction;

/**
 * Sends `next` while `current` still runs, when both are transactional
 * migrations and `next` cannot run past the deadline for having waited:
 * `current` takes at most its statements (and begin, ledger row, commit) each
 * cut at its `statement_timeout`, and what is left after that must still hold
 * `next`'s full timeouts, so they are not capped and it stops when it would
 * without waiting. Null when `next` must wait its turn.
 */
function lookAhead(ctx: StepContext, watch: DeadlineWatch | null, step: PlanStep, current: Sent, next: PlanStep | undefined): Sent | null {
  if (!chainable(step) || !chainable(next) || watch?.expired === true) return null;
  const remaining = remainingMs(ctx);
  if (remaining !== null) {
    const longest = (current.statements + 3) * current.statementTimeoutMs;
    const needed = Math.max(ctx.statementTimeoutMs, ctx.lockTimeoutMs);
    if (ctx.statementTimeoutMs === 0 || remaining - longest < needed) return null;
  }
  return send(ctx, watch, next, step.migration.id);
}

/**
 * Runs steps in order; returns how many ran. Stops early only between steps,
 * when time runs out (a reverse step is a step like any other), or when a
 * step still runs at the deadline: it is cancelled (see `run-deadline.ts`),
 * and a transactional one that is not the run's first is then rolled back
 * and pending, as one cut by a capped `statement_timeout`.
 * While a transactional migration runs, the next one is already sent (see
 * `lookAhead`; `LedgerSession.apply` commits it only if this one committed),
 * so the server need not wait for the client between them; it is logged as
 * started, and reported, only in its turn. Before a record, a reverse step, a
 * `no-transaction` migration (and its checkpoint), a stop and the end, nothing
 * is in flight, and every cancel sent has been delivered.
 *
 * @example
 * const done = await runSteps(context, steps, { applied: [], reverted: [] });
 */
export async function runSteps(ctx: StepContext, steps: PlanStep[], progress: StepProgress): Promise<number> {
  // Without a deadline or a stop signal there is no watch and nothing more to do per step.
  const watch = ctx.stopAt === null && ctx.stop === undefined ? null : new DeadlineWatch(ctx.session, ctx.stopAt, ctx.clock, ctx.stop);
  try {
    return await runAll(ctx, watch, steps, progress);
  } finally {
    if (watch !== null) await watch.close();
  }
}

async function runAll(ctx: StepContext, watch: DeadlineWatch | null, steps: PlanStep[], progress: StepProgress): Promise<number> {
  let ahead: Sent | null = null;
  for (let index = 0; index < steps.length; index += 1) {
    const step = steps[index] as PlanStep;
    const { migration } = step;
    if (ahead === null) {
      if (watch !== null) await watch.quiet();
      if (watch?.interrupted) throw interruptedBefore(ctx, step, progress);
      if (outOfTime(ctx, watch, steps, index)) return index;
      if (step.kind === 'record') {
        await ctx.session.record({ migration, bundleId: ctx.bundleId, runId: ctx.runId, appliedBy: ctx.actor });
        progress.applied.push({ id: migration.id, durationMs: 0, method: 'recorded' });
        ctx.logger.info('migration.recorded', { id: migration.id, reason: 'every migration it replaces is applied' });
        continue;
      }
      // The checkpoint takes time too: a no-transaction migration is not started past the deadline, as it cannot be rolled back.
      if (migration.directives.noTransaction && ctx.checkpoint) {
        await ctx.checkpoint();
        if (watch?.interrupted) throw interruptedBefore(ctx, step, progress);
        if (outOfTime(ctx, watch, steps, index)) return index;
      }
    }
    const reverting = step.kind === 'revert';
    ctx.logger.info(reverting ? 'migration.revert_started' : 'migration.started', { id: migration.id, file: migration.file, noTransaction: migration.directives.noTransaction });
    const current: Sent = ahead ?? send(ctx, watch, step);
    ahead = lookAhead(ctx, watch, step, current, steps[index + 1]);
    const outcome = await current.outcome;
    if (!outcome.ok) {
      // The step sent behind it did not run (it commits only after this one); it is not this run's failure.
      await ahead?.outcome;
      if (watch !== null) await watch.quiet();
      if (watch?.interrupted && current.cancelled === true && sqlstateOf(outcome.error) === '57014') throw interruptedDuring(ctx, step, progress, outcome.error);
      const cut = deadlineCut(ctx, outcome.error, current);
      if (!stoppedByDeadline(outcome.error, index, step, cut)) throw failureOf(ctx, outcome.error, cut);
      const left = notSent(outcome.error) ? { notSent: true } : { rolledBack: true };
      ctx.logger.warn('run.stopped', { reason: 'deadline', next: migration.id, pending: steps.length - index, ...left, cancelled: cut?.by === DeadlineCutBy.CANCEL });
      return index;
    }
    // Done in time, but the one sent behind it may have started after the cancel: it is past the deadline too.
    if (ahead !== null) watch?.again();
    const { durationMs } = outcome.value;
    if (reverting) progress.reverted.push({ id: migration.id, durationMs });
    else progress.applied.push({ id: migration.id, durationMs, method: 'executed' });
    ctx.logger.info(reverting ? 'migration.reverted' : 'migration.applied', { id: migration.id, durationMs });
  }
  return steps.length;
}

/** True (and logged) when no step may start any more: the time left is gone, or the watch saw the deadline pass. */
function outOfTime(ctx: StepContext, watch: DeadlineWatch | null, steps: PlanStep[], index: number): boolean {
  const remaining = remainingMs(ctx);
  if (!watch?.expired && (remaining === null || remaining > 0)) return false;
  ctx.logger.warn('run.stopped', { reason: 'deadline', next: (steps[index] as PlanStep).migration.id, pending: steps.length - index });
  return true;
}

function failureOf(ctx: StepContext, error: unknown, cut: DeadlineCut | null): unknown {
  if (!(error instanceof MigrationFailedError)) return error;
  return error.with({ ...explained(error.failure, ctx.knowledge), ...(cut ? { deadline: cut } : {}) });
}

/** The SQLSTATE a step's error carries: a statement's, or a ledger write's. */
function sqlstateOf(error: unknown): unknown {
  if (error instanceof MigrationFailedError) return error.failure.sqlstate;
  return error instanceof MigrationRunnerError ? error.details.sqlstate : null;
}

/** A timeout the deadline shortened when the step was sent. */
const cappedBy = (configured: number, sent: number): boolean => configured === 0 || sent < configured;

/**
 * How the deadline cut a step, or null when it did not: cancelled at the
 * deadline while it ran (57014 after the watch's cancel), or stopped by a
 * `statement_timeout` (57014) or `lock_timeout` (55P03) that was capped to
 * the time left when it was sent.
 */
function deadlineCut(ctx: StepContext, error: unknown, sent: Sent): DeadlineCut | null {
  if (sent.remaining === null) return null;
  const sqlstate = sqlstateOf(error);
  // A capped timeout cut the step only if it ran that long: a migration's own shorter SET LOCAL statement_timeout, a
  // LOCK … NOWAIT or someone's pg_cancel_backend fail sooner, and are the migration's failures, not the deadline's.
  const ranMs = ctx.clock.now() - sent.sentAt;
  let by: DeadlineCutBy | null = null;
  let configuredMs = 0;
  if (sqlstate === '57014' && sent.cancelled) by = DeadlineCutBy.CANCEL;
  else if (sqlstate === '57014' && cappedBy(ctx.statementTimeoutMs, sent.statementTimeoutMs) && ranMs >= sent.statementTimeoutMs) [by, configuredMs] = [DeadlineCutBy.STATEMENT_TIMEOUT, ctx.statementTimeoutMs];
  else if (sqlstate === '55P03' && cappedBy(ctx.lockTimeoutMs, sent.lockTimeoutMs) && ranMs >= sent.lockTimeoutMs) [by, configuredMs] = [DeadlineCutBy.LOCK_TIMEOUT, ctx.lockTimeoutMs];
  if (by === null) return null;
  return {
    by,
    afterMs: Math.max(0, Math.round(ctx.clock.now() - sent.sentAt)),
    budgetMs: Math.max(0, Math.round(sent.remaining)),
    ...(by === DeadlineCutBy.CANCEL ? {} : { configuredMs }),
    actor: ctx.actor,
    ...(ctx.stage ? { stage: ctx.stage } : {}),
  };
}

/**
 * A transactional step the deadline cut (see {@link deadlineCut}) rolled back
 * cleanly: it is not a failure but the end of this invocation's time, and the
 * next one runs it with a full budget; so is a `no-transaction` step none of
 * whose statements was sent (the deadline passed while its `running` row was
 * written). The first step of a run had the whole budget, so for it the cut
 * is a real failure (it cannot fit at all); so is a cut `no-transaction`
 * step that sent a statement, which keeps what ran before the cut, and one
 * that had committed part of itself with a COMMIT of its own.
 */
function stoppedByDeadline(error: unknown, index: number, step: PlanStep, cut: DeadlineCut | null): boolean {
  if (cut === null || index === 0) return false;
  if (step.migration.directives.noTransaction) return notSent(error);
  return !(error instanceof MigrationFailedError && error.failure.ownCommitLine !== undefined);
}

/** A configured timeout (0 = none), capped to the time left. */
export function capTimeout(configured: number, remaining: number | null): number {
  if (remaining === null) return configured;
  const left = Math.max(1, Math.floor(remaining));
  return configured === 0 ? left : Math.min(configured, left);
}
