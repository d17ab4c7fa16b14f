/**
 * How a run stopped from outside (the CLI's Ctrl-C or SIGTERM, see
 * `StepContext.stop`) ends: the `InterruptedError` that says which
 * migrations committed and what was left of the one in flight.
 */
import { InterruptedError, InterruptedLeft, MigrationFailedError, MigrationRunnerError, signalOf } from './core/errors';
import { reverseFile } from './core/migration';
import type { PlanStep } from './core/plan';
import { settle } from './core/settled';
import type { Clock, LedgerSession, StopSignal } from './ports';
import { DeadlineWatch } from './run-deadline';
import type { StepContext, StepProgress } from './run-steps';

/** A `no-transaction` step none of whose statements was sent: nothing of it ran, and the session removed its row. */
export const notSent = (error: unknown): boolean => error instanceof MigrationFailedError && error.failure.notSent === true;

/**
 * The stop came between steps: `step` was not started.
 *
 * @example
 * if (watch?.interrupted) throw interruptedBefore(ctx, step, progress);
 */
export function interruptedBefore(ctx: StepContext, step: PlanStep, progress: StepProgress): InterruptedError {
  ctx.logger.warn('run.stopped', { reason: 'interrupted', next: step.migration.id });
  return new InterruptedError({ ...interruptOf(ctx, progress), next: step.migration.id });
}

/**
 * The stop cancelled `step` while it ran: a transactional one rolled back; a
 * `no-transaction` one is dirty as its failure left it (the session wrote
 * its rows `failed`), unless none of its statements was sent.
 *
 * @example
 * throw interruptedDuring(ctx, step, progress, outcome.error);
 */
export function interruptedDuring(ctx: StepContext, step: PlanStep, progress: StepProgress, error: unknown): InterruptedError {
  const { migration } = step;
  if (migration.directives.noTransaction && notSent(error)) return interruptedBefore(ctx, step, progress);
  const ownCommit = error instanceof MigrationFailedError && error.failure.ownCommitLine !== undefined;
  const left = migration.directives.noTransaction ? InterruptedLeft.DIRTY : ownCommit ? InterruptedLeft.PARTLY_COMMITTED : InterruptedLeft.ROLLED_BACK;
  ctx.logger.warn('run.stopped', { reason: 'interrupted', interrupted: migration.id, left });
  // A reverse step runs the `.down.sql`: that is the file cut.
  const reverting = step.kind === 'revert';
  const file = reverting ? reverseFile(migration.file) : migration.file;
  const remedy = reverting && ownCommit ? partlyRevertedRemedy(migration.id, file) : error instanceof MigrationRunnerError ? error.remedy : undefined;
  const interrupted = { id: migration.id, file, left, ...(reverting ? { reverting } : {}), ...(remedy ? { remedy } : {}) };
  return new InterruptedError({ ...interruptOf(ctx, progress), interrupted });
}

/** A reverse script cut after its own COMMIT: what it ran before stays, while the ledger still has the migration applied. */
const partlyRevertedRemedy = (id: string, file: string): string =>
  `What ${file} ran before its own COMMIT took effect, while the ledger still lists ${id} as applied: the database is partly reverted. ` +
  `Undo that part by hand (so the schema is what ${id} made again), then run the same \`stagegate migrate --to\` again; ` +
  'without the COMMIT in the reverse script, a cut would roll all of it back.';

const interruptOf = (ctx: StepContext, progress: StepProgress): { signal: string; command: string; committed: string[]; reverted: string[] } => ({
  signal: signalOf(ctx.stop),
  command: 'migrate',
  committed: progress.applied.map((a) => a.id),
  reverted: progress.reverted.map((r) => r.id),
});


/**
 * The lock option that gives up waiting for the ledger lock once the run is
 * stopped (nothing was started then), or nothing without a stop signal.
 *
 * @example
 * await db.withLock({ waitMs, ...stopWaiting(request, 'migrate') }, fn);
 */
export function stopWaiting(request: { stop?: StopSignal }, command: string): { stop?: { signal: StopSignal; error: () => Error } } {
  const { stop } = request;
  return stop === undefined ? {} : { stop: { signal: stop, error: () => new InterruptedError({ signal: signalOf(stop), command }) } };
}

/**
 * Runs a rehearsal (`fn`) that a stop cancels as the deadline would: the
 * session's statement in flight gets PostgreSQL's cancel request, the
 * rehearsal's transaction rolls back as it always does, and then this
 * throws `InterruptedError`. Without a stop signal it is just `fn()`.
 *
 * @example
 * const outcomes = await interruptible(session, clock, request.stop, () => rehearseSteps(session, logger, steps, limits, knowledge));
 */
export async function interruptible<T>(session: Pick<LedgerSession, 'cancel'>, clock: Clock, stop: StopSignal | undefined, fn: () => Promise<T>): Promise<T> {
  if (stop === undefined) return fn();
  const interrupted = (): InterruptedError => new InterruptedError({ signal: signalOf(stop), command: 'plan', rehearsal: true });
  if (stop.aborted) throw interrupted();
  const watch = new DeadlineWatch(session, null, clock, stop);
  try {
    const outcome = await watch.track({}, settle(fn()));
    if (watch.interrupted) throw interrupted();
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  } finally {
    await watch.close();
  }
}
