import { MigrationFailedError } from './core/errors';
import { explained, type BundleKnowledge } from './core/explain';
import { normaliseSql } from './core/checksum';
import type { PlanStep } from './core/plan';
import type { AppliedEntry, RevertedEntry } from './core/result';
import { splitStatements } from './core/sql-split';
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

/**
 * Runs steps in order; returns how many ran. Stops early only between steps,
 * when time runs out (a reverse step is a step like any other).
 *
 * @example
 * const done = await runSteps(context, steps, { applied: [], reverted: [] });
 */
export async function runSteps(ctx: StepContext, steps: PlanStep[], progress: StepProgress): Promise<number> {
  for (let index = 0; index < steps.length; index += 1) {
    const step = steps[index] as PlanStep;
    const { migration } = step;
    const remaining = ctx.stopAt === null ? null : ctx.stopAt - ctx.clock.now();
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
    const reverting = step.kind === 'revert';
    if (migration.directives.noTransaction) await ctx.checkpoint?.();
    ctx.logger.info(reverting ? 'migration.revert_started' : 'migration.started', { id: migration.id, file: migration.file, noTransaction: migration.directives.noTransaction });
    const statementTimeoutMs = capTimeout(ctx.statementTimeoutMs, remaining);
    const timeouts = { lockTimeoutMs: capTimeout(ctx.lockTimeoutMs, remaining), statementTimeoutMs };
    let durationMs: number;
    try {
      ({ durationMs } =
        step.kind === 'revert'
          ? await ctx.session.revert({ migration, statements: splitStatements(normaliseSql(migration.downSql ?? '')), rows: step.rows, runId: ctx.runId, ...timeouts })
          : await ctx.session.apply({ migration, statements: splitStatements(normaliseSql(migration.sql)), bundleId: ctx.bundleId, runId: ctx.runId, appliedBy: ctx.actor, ...timeouts }));
    } catch (error) {
      const capped = remaining !== null && (ctx.statementTimeoutMs === 0 || statementTimeoutMs < ctx.statementTimeoutMs);
      if (!cutByDeadline(error, index, migration.directives.noTransaction, capped)) {
        throw error instanceof MigrationFailedError ? error.with(explained(error.failure, ctx.knowledge)) : error;
      }
      ctx.logger.warn('run.stopped', { reason: 'deadline', next: migration.id, pending: steps.length - index, rolledBack: true });
      return index;
    }
    if (reverting) progress.reverted.push({ id: migration.id, durationMs });
    else progress.applied.push({ id: migration.id, durationMs, method: 'executed' });
    ctx.logger.info(reverting ? 'migration.reverted' : 'migration.applied', { id: migration.id, durationMs });
  }
  return steps.length;
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
