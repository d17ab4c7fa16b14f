import { ErrorCode, MigrationRunnerError } from './errors-base';
import { failureText } from './errors-database';
import type { PlannedEntry } from './result';
import { RehearsalStatus, tally, type RehearsalOutcome } from './rehearsal';

/** The remedy's last sentence, shown alone where each failure's way out is already printed. */
export const REHEARSAL_REMEDY = 'Fix each failing migration (or the stage), then rehearse again; `stagegate migrate` would stop at the first of them.';

/** At most this many failures are spelled out in the message; every one is in `details.rehearsal`. */
const MAX_FAILURES_IN_MESSAGE = 3;

/**
 * A rehearsal (`plan --rehearse`) found migrations that fail on this
 * database. Nothing was kept: the rehearsal rolled back. `details.rehearsal`
 * is the report of every migration of the plan, in order.
 *
 * @example
 * throw new RehearsalFailedError(bundleId, outcomes, plan);
 */
export class RehearsalFailedError extends MigrationRunnerError {
  readonly outcomes: readonly RehearsalOutcome[];
  constructor(bundleId: string, outcomes: readonly RehearsalOutcome[], plan: readonly PlannedEntry[]) {
    const failed = outcomes.filter((o) => o.status === RehearsalStatus.FAILED);
    const counts = tally(outcomes);
    // One line each: the explanations are in the report (details.rehearsal), which the CLI prints.
    const lines = failed.slice(0, MAX_FAILURES_IN_MESSAGE).map((o) => `  ${o.id} failed at ${o.failure ? failureText({ ...o.failure, explanation: undefined }) : o.file}`);
    if (failed.length > MAX_FAILURES_IN_MESSAGE) lines.push(`  and ${failed.length - MAX_FAILURES_IN_MESSAGE} more (see the report)`);
    const first = failed[0]?.failure?.explanation?.wayOut;
    super(
      ErrorCode.REHEARSAL_FAILED,
      `The rehearsal of bundle ${bundleId.slice(0, 12)} found ${counts.failed} of ${outcomes.length} migration${outcomes.length === 1 ? '' : 's'} failing on this database (${counts.rehearsed} rehearsed, ${counts.notRehearsable} not rehearsable):\n${lines.join('\n')}\nNothing was kept: the rehearsal rolled back.`,
      {
        remedy: `${first ? `${failed[0]?.id}: ${first} ` : ''}${REHEARSAL_REMEDY}`,
        details: { rehearsal: outcomes, pending: plan.map((p) => p.id) },
      },
    );
    this.name = 'RehearsalFailedError';
    this.outcomes = outcomes;
  }
}
