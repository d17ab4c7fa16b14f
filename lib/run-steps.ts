import { MigrationFailedError } from './core/errors';
import { explained, type BundleKnowledge } from './core/explain';
import type { PlanStep } from './core/plan';
import type { AppliedEntry, RevertedEntry } from './core/result';
import { settle, type Settled } from './core/settled';
import type { SqlStatement } from './core/sql-split';
import { statementsOf, type SplitAhead } from './core/step-statements';
import type { Clock, LedgerSession, Logger } from './ports';

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
}

/** What the steps did so far, filled in as they run (so a failure can report it). */
export interface StepProgress {
  applied: AppliedEntry[];
  reverted: RevertedEntry[];
}

/** A step sent to the session: its outcome (settled, never rejecting) and what it was sent with. */
interface Sent {
  outcome: Promise<Settled<{ durationMs: number }>>;
  /** Milliseconds left before `stopAt` when it was sent; null without a deadline. */
  remaining: number | null;
  statementTimeoutMs: number;
  statements: number;
}

/** Sends a migration or reverse step now (`split`: its statements when the check split them), with timeouts capped to the time left now. */
function send(ctx: StepContext, step: PlanStep, split: SqlStatement[] | undefined, behind?: string): Sent {
  const { migration } = step;
  const statements = split ?? statementsOf(step);
  const remaining = remainingMs(ctx);
  const statementTimeoutMs = capTimeout(ctx.statementTimeoutMs, remaining);
  const timeouts = { lockTimeoutMs: capTimeout(ctx.lockTimeoutMs, remaining), statementTimeoutMs };
  const done =
    step.kind === 'revert'
      ? ctx.session.revert({ migration, statements, rows: step.rows, runId: ctx.runId, ...timeouts })
      : ctx.session.apply({ migration, statements, bundleId: ctx.bundleId, runId: ctx.runId, appliedBy: ctx.actor, ...timeouts, ...(behind ? { behind } : {}) });
  return { outcome: settle(done), remaining, statementTimeoutMs, statements: statements.length };
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
function lookAhead(ctx: StepContext, step: PlanStep, current: Sent, next: PlanStep | undefined, nextSplit: SqlStatement[] | undefined): Sent | null {
  if (!chainable(step) || !chainable(next)) return null;
  const remaining = remainingMs(ctx);
  if (remaining !== null) {
    const longest = (current.statements + 3) * current.statementTimeoutMs;
    const needed = Math.max(ctx.statementTimeoutMs, ctx.lockTimeoutMs);
    if (ctx.statementTimeoutMs === 0 || remaining - longest < needed) return null;
  }
  return send(ctx, next, nextSplit, step.migration.id);
}

/**
 * Runs steps in order, once `refuseUnrunnable` found every script runnable
 * (`splitAhead`: what it split, sent as it is; the rest is split when sent);
 * returns how many ran. Stops early only between steps,
 * when time runs out (a reverse step is a step like any other).
 * While a transactional migration runs, the next one is already sent (see
 * `lookAhead`; `LedgerSession.apply` commits it only if this one committed),
 * so the server need not wait for the client between them; it is logged as
 * started, and reported, only in its turn. Before a record, a reverse step, a
 * `no-transaction` migration (and its checkpoint), a stop and the end, nothing
 * is in flight.
 *
 * @example
 * const done = await runSteps(context, steps, refuseUnrunnable(steps), { applied: [], reverted: [] });
 */
export async function runSteps(ctx: StepContext, steps: PlanStep[], splitAhead: SplitAhead, progress: StepProgress): Promise<number> {
  let ahead: Sent | null = null;
  for (let index = 0; index < steps.length; index += 1) {
    const step = steps[index] as PlanStep;
    const { migration } = step;
    if (ahead === null) {
      const remaining = remainingMs(ctx);
      if (remaining !== null && remaining <= 0) {
        ctx.logger.warn('run.stopped', { reason: 'deadline', next: migration.id, pending: steps.length - index });
        return index;
      }
      if (step.kind === 'record') {
        await ctx.session.record({ migration, bundleId: ctx.bundleId, runId: ctx.runId, appliedBy: ctx.actor });
        progress.applied.push({ id: migration.id, durationMs: 0, method: 'recorded' });
        ctx.logger.info('migration.recorded', { id: migration.id, reason: 'every migration it replaces is applied' });
        continue;
      }
      if (migration.directives.noTransaction) await ctx.checkpoint?.();
    }
    const reverting = step.kind === 'revert';
    ctx.logger.info(reverting ? 'migration.revert_started' : 'migration.started', { id: migration.id, file: migration.file, noTransaction: migration.directives.noTransaction });
    const current: Sent = ahead ?? send(ctx, step, splitAhead.get(index));
    ahead = lookAhead(ctx, step, current, steps[index + 1], splitAhead.get(index + 1));
    const outcome = await current.outcome;
    if (!outcome.ok) {
      // The step sent behind it did not run (it commits only after this one); it is not this run's failure.
      await ahead?.outcome;
      if (!stoppedByDeadline(ctx, outcome.error, index, step, current)) throw failureOf(ctx, outcome.error);
      ctx.logger.warn('run.stopped', { reason: 'deadline', next: migration.id, pending: steps.length - index, rolledBack: true });
      return index;
    }
    const { durationMs } = outcome.value;
    if (reverting) progress.reverted.push({ id: migration.id, durationMs });
    else progress.applied.push({ id: migration.id, durationMs, method: 'executed' });
    ctx.logger.info(reverting ? 'migration.reverted' : 'migration.applied', { id: migration.id, durationMs });
  }
  return steps.length;
}

function failureOf(ctx: StepContext, error: unknown): unknown {
  return error instanceof MigrationFailedError ? error.with(explained(error.failure, ctx.knowledge)) : error;
}

/** See {@link cutByDeadline}: whether the step's statement_timeout was capped by the deadline when it was sent. */
function stoppedByDeadline(ctx: StepContext, error: unknown, index: number, step: PlanStep, sent: Sent): boolean {
  const capped = sent.remaining !== null && (ctx.statementTimeoutMs === 0 || sent.statementTimeoutMs < ctx.statementTimeoutMs);
  return cutByDeadline(error, index, step.migration.directives.noTransaction, capped);
}

/**
 * A transactional migration cancelled by a statement_timeout that was
 * shortened to fit the deadline rolled back cleanly: it is not a failure but
 * the end of this invocation's time, and the next one runs it with a full
 * budget. The first migration of a run had the whole budget, so for it the
 * timeout is a real failure (it cannot fit at all).
 */
function cutByDeadline(error: unknown, index: number, noTransaction: boolean, capped: boolean): boolean {
  return capped && index > 0 && !noTransaction && error instanceof MigrationFailedError && error.failure.sqlstate === '57014';
}

/** A configured timeout (0 = none), capped to the time left. */
export function capTimeout(configured: number, remaining: number | null): number {
  if (remaining === null) return configured;
  const left = Math.max(1, Math.floor(remaining));
  return configured === 0 ? left : Math.min(configured, left);
}
