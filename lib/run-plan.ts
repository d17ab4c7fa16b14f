/** What a run will do: the verified plan, and what explanations may know about the bundle. */
import { verifyClaims } from './core/bundle-claims';
import { MigrationRunnerError } from './core/errors';
import { refuseUnrunnable } from './core/step-statements';
import type { BundleKnowledge } from './core/explain';
import { LedgerState, type AppliedMigration, type Migration } from './core/migration';
import { plan, type PlanStep } from './core/plan';
import { planTo } from './core/reverse-plan';
import type { LoadedBundle } from './ports';

/**
 * The plan, once what it would run is known to say what its SQL says: a
 * bundle pinned by its hash was loaded without recomputing its claims, so
 * they are recomputed here for the steps (nothing, when nothing is pending).
 * With a target, what is reverted depends on every applied migration's
 * dependencies and directives, so the whole bundle is verified first.
 *
 * @example
 * const steps = planVerified(bundle, ledger.rows, request.target);
 */
export function planVerified(bundle: LoadedBundle, ledger: readonly AppliedMigration[], target?: string): PlanStep[] {
  if (target !== undefined) {
    if (!bundle.allVerified) verifyClaims(bundle.migrations, bundle.migrations, bundle.origin);
    return planTo(bundle.migrations, ledger, target);
  }
  const steps = plan(bundle.migrations, ledger);
  if (!bundle.allVerified) verifyClaims(bundle.migrations, migrationsOf(steps), bundle.origin);
  return steps;
}

/**
 * What `migrate` and `plan` would refuse before their first step on this
 * ledger, as `status` reports it: the same checks, the error's code,
 * message and remedy instead of a throw (null: they would run).
 *
 * @example
 * const blocked = refusalOf(bundle, ledger.rows); // { code: 'MIGRATION_DIRTY', … } or null
 */
export function refusalOf(bundle: LoadedBundle, ledger: readonly AppliedMigration[]): { code: string; message: string; remedy: string } | null {
  try {
    refuseUnrunnable(planVerified(bundle, ledger), bundle.migrations);
    return null;
  } catch (error) {
    if (!(error instanceof MigrationRunnerError)) throw error;
    return { code: error.code, message: error.message, remedy: error.remedy };
  }
}

/** The migration of each step, in a loop rather than `map`: a fresh database's plan has 10,000 steps, in a cold process. */
function migrationsOf(steps: readonly PlanStep[]): Migration[] {
  const migrations = new Array<Migration>(steps.length);
  for (let i = 0; i < steps.length; i += 1) migrations[i] = (steps[i] as PlanStep).migration;
  return migrations;
}

/**
 * What explanations may say about the bundle's other migrations.
 *
 * @example
 * const knowledge = knowledgeOf(bundle, ledger.rows);
 */
export function knowledgeOf(bundle: LoadedBundle, ledger: readonly AppliedMigration[]): BundleKnowledge {
  const applied = new Set(ledger.filter((r) => r.state === LedgerState.APPLIED).map((r) => r.id));
  return { migrations: bundle.migrations, applied, freshLedger: applied.size === 0 };
}
