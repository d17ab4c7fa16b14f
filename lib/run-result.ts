/** The orchestrator's result pieces: plain data built from the plan and the request. */
import { checksumOf } from './core/checksum';
import { appliedDependents } from './core/merged-late';
import { LedgerState, reverseFile, type AppliedMigration } from './core/migration';
import type { PlanStep } from './core/plan';
import { reverseLosses } from './core/reverse-losses';
import type { AppliedEntry, PlannedEntry, RevertedEntry, RunResult, RunStatus } from './core/result';
import type { LoadedBundle } from './ports';

/**
 * A successful result; `extra` holds what only some actions report.
 *
 * @example
 * return result(Action.MIGRATE, bundle.id, RunStatus.UP_TO_DATE, [], [], 12);
 */
export function result(
  action: RunResult['action'],
  bundleId: string,
  status: RunStatus,
  applied: AppliedEntry[],
  pending: string[],
  durationMs: number,
  extra: Pick<RunResult, 'plan' | 'migrations' | 'to' | 'reverted' | 'rehearsal' | 'drift' | 'lastRun' | 'blocked'> = {},
): RunResult {
  return { ok: true, action, bundleId, status, applied, pending, ...extra, durationMs };
}

/**
 * One step as `plan` shows it; a reverse names its `.down.sql` and that script's checksum.
 *
 * @example
 * const plan = steps.map(toPlannedEntry);
 */
export function toPlannedEntry(step: PlanStep): PlannedEntry {
  const { migration } = step;
  if (step.kind === 'revert') {
    const downSql = migration.downSql ?? '';
    return { id: migration.id, file: reverseFile(migration.file), kind: step.kind, noTransaction: migration.directives.noTransaction, downChecksum: checksumOf(downSql), losses: reverseLosses(downSql) };
  }
  return { id: migration.id, file: migration.file, kind: step.kind, noTransaction: migration.directives.noTransaction };
}

/**
 * The plan and the pending ids of `steps`, in one pass: 10,000 steps on a
 * fresh database, in a process that has compiled nothing yet.
 *
 * @example
 * const { plan, pending } = plannedOf(steps);
 */
export function plannedOf(steps: readonly PlanStep[]): { plan: PlannedEntry[]; pending: string[] } {
  // Allocated at their size, as `map` does: arrays grown by push leave copies for the collector.
  const plan = new Array<PlannedEntry>(steps.length);
  const pending = new Array<string>(steps.length);
  for (let i = 0; i < steps.length; i += 1) {
    const step = steps[i] as PlanStep;
    plan[i] = toPlannedEntry(step);
    pending[i] = step.migration.id;
  }
  return { plan, pending };
}

/**
 * `to` (and, for `migrate`, `reverted`) in a result, only when the run had a target.
 *
 * @example
 * result(Action.PLAN, id, status, [], pending, ms, { plan, ...targetFields(request.target) });
 */
export function targetFields(target: string | undefined, reverted?: RevertedEntry[]): Pick<RunResult, 'to' | 'reverted'> {
  if (target === undefined) return {};
  return reverted === undefined ? { to: target } : { to: target, reverted };
}

/**
 * With a target, the steps in the plan event, so that a reverse is shown before it runs.
 *
 * @example
 * logger.info('plan.ready', { steps: steps.length, ...stepOrder(request.target, steps) });
 */
export function stepOrder(target: string | undefined, steps: PlanStep[]): { order?: { kind: PlanStep['kind']; id: string; losses?: string[] }[] } {
  if (target === undefined) return {};
  return { order: steps.map((s) => (s.kind === 'revert' ? { kind: s.kind, id: s.migration.id, losses: reverseLosses(s.migration.downSql ?? '') } : { kind: s.kind, id: s.migration.id })) };
}

/**
 * Marks the plan's steps that were merged late (see `core/merged-late.ts`)
 * with the applied migrations that depend on them; the others are left as
 * they are. For `plan` only: it reads every applied migration's dependencies.
 *
 * @example
 * withAppliedDependents(plan, bundle, ledger.rows);
 */
export function withAppliedDependents(plan: PlannedEntry[], bundle: Pick<LoadedBundle, 'migrations'>, ledger: readonly AppliedMigration[]): void {
  // Nothing planned (all applied), or nothing applied (a fresh database): no applied migration can depend on a step.
  if (plan.length === 0) return;
  const applied = new Set(ledger.filter((row) => row.state === LedgerState.APPLIED).map((row) => row.id));
  if (applied.size === 0) return;
  const late = appliedDependents(bundle.migrations, applied, plan.map((entry) => entry.id));
  for (const entry of plan) {
    const dependents = late.get(entry.id);
    if (dependents && entry.kind !== 'revert') entry.appliedDependents = dependents;
  }
}
