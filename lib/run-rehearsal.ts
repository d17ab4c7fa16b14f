/**
 * The engine's half of a rehearsal: which steps of a plan can be rehearsed,
 * the requests for the adapter, and the report with every failure
 * explained. `run.ts` takes the lock and calls this; the adapter runs it.
 */
import { normaliseSql } from './core/checksum';
import { alsoApplied } from './core/bundle-makers';
import { explained, type BundleKnowledge } from './core/explain';
import type { MigrationFailure } from './core/errors';
import type { PlanStep } from './core/plan';
import { NO_TRANSACTION_REASON, notRehearsableBecause, RehearsalStatus, type RehearsalOutcome } from './core/rehearsal';
import { splitStatements } from './core/sql-split';
import { unrunnableError } from './core/unrunnable';
import type { LedgerSession, Logger, RehearsalLimits, RehearseRequest } from './ports';

/** What the engine says about a step before anything runs: an outcome, or null when the adapter rehearses it. */
function decided(step: PlanStep, statements: RehearseRequest['statements']): RehearsalOutcome | null {
  const { id, file, directives } = step.migration;
  if (step.kind === 'record') return { id, file, status: RehearsalStatus.REHEARSED, durationMs: 0, reason: 'record only: every migration it replaces is applied; no SQL runs' };
  if (directives.noTransaction) return { id, file, status: RehearsalStatus.NOT_REHEARSABLE, reason: NO_TRANSACTION_REASON };
  const control = notRehearsableBecause(statements, file);
  return control === null ? null : { id, file, status: RehearsalStatus.NOT_REHEARSABLE, reason: control };
}

/** A failure of a migration that depends on one that could not be rehearsed may come from that. */
function caveat(outcome: RehearsalOutcome, step: PlanStep, skipped: ReadonlySet<string>): RehearsalOutcome {
  const unrehearsed = step.migration.dependencies.filter((d) => skipped.has(d));
  if (outcome.status !== RehearsalStatus.FAILED || unrehearsed.length === 0) return outcome;
  return { ...outcome, reason: `it depends on ${unrehearsed.join(', ')}, which could not be rehearsed: the failure may come from that` };
}

/**
 * The failure as the report keeps it: explained, and without Postgres'
 * `detail` for integrity violations (class 23), which quotes key values
 * (`Key (email)=(…)`): a rehearsal's report goes to pipeline logs, and the
 * explanation already says what the detail would (counts, not values).
 */
function reported(failure: MigrationFailure, knowledge: BundleKnowledge): MigrationFailure {
  // Explained first: the key's column names are read from the detail.
  const done = explained(failure, knowledge);
  if (!failure.sqlstate?.startsWith('23')) return done;
  const { detail: _values, ...rest } = done;
  return rest;
}

/**
 * Rehearses the plan's steps through `session` and returns one outcome per
 * step, in plan order, each failure with its explanation. Squashes that
 * only record count as rehearsed; `no-transaction` migrations and those
 * that control the transaction themselves are not rehearsable. A migration
 * a run would refuse (see `core/unrunnable.ts`) is reported failed with that
 * refusal, whatever it is, and nothing of it runs.
 *
 * @example
 * const outcomes = await rehearseSteps(session, logger, steps, { lockTimeoutMs: 2_000, statementTimeoutMs: 60_000 }, knowledge);
 */
export async function rehearseSteps(
  session: LedgerSession,
  logger: Logger,
  steps: readonly PlanStep[],
  limits: RehearsalLimits,
  knowledge: BundleKnowledge,
): Promise<RehearsalOutcome[]> {
  const pending = new Set(steps.map((s) => s.migration.id));
  const outcomes: (RehearsalOutcome | null)[] = [];
  const requests: RehearseRequest[] = [];
  for (const step of steps) {
    const statements = step.kind === 'apply' ? splitStatements(normaliseSql(step.migration.sql)) : [];
    // First, from the same split, before anything is rehearsed: what a run would refuse is reported as the migration's failure.
    const refused = unrunnableError(step.migration, statements);
    const outcome = refused ? null : decided(step, statements);
    outcomes.push(outcome);
    if (outcome !== null) continue;
    const dependsOn = step.migration.dependencies.filter((d) => pending.has(d));
    requests.push({ migration: step.migration, statements, dependsOn, ...(refused ? { refused: refused.failure } : {}) });
  }
  const rehearsed = await session.rehearse(requests, limits);
  const skipped = new Set(outcomes.filter((o) => o?.status === RehearsalStatus.NOT_REHEARSABLE).map((o) => (o as RehearsalOutcome).id));
  let next = 0;
  // What the rehearsal ran before a failure is there when it fails: those migrations made their objects.
  const ran: string[] = [];
  return outcomes.map((own, index) => {
    const outcome = own ?? (rehearsed[next++] as RehearsalOutcome);
    const before = ran.slice();
    const complete = outcome.failure ? { ...outcome, failure: reported(outcome.failure, alsoApplied(knowledge, () => before)) } : outcome;
    if (outcome.status === RehearsalStatus.REHEARSED) ran.push(outcome.id);
    const result = caveat(complete, steps[index] as PlanStep, skipped);
    logger.info('rehearsal.migration', { id: result.id, status: result.status, durationMs: result.durationMs, sqlstate: result.failure?.sqlstate, reason: result.reason });
    return result;
  });
}
