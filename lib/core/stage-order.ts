/**
 * Stage order: stages are declared in order (dev, staging, production), and
 * a stage may apply a migration only once the stage before it has applied
 * it successfully. Pure decisions; the records come from the caller.
 */
import { StageOrderReason } from './errors';
import { squashesOf, type Migration } from './migration';
import type { PlanStep } from './plan';
import type { StageRecord } from './stage-record';

/**
 * Where `stage` stands in the order: the stage before it (null for the
 * first), or `inOrder: false` when the list does not name it.
 *
 * @example
 * placeInOrder(['dev', 'staging', 'production'], 'production'); // { inOrder: true, previousStage: 'staging' }
 */
export function placeInOrder(stages: readonly string[], stage: string): { inOrder: true; previousStage: string | null } | { inOrder: false } {
  const index = stages.indexOf(stage);
  if (index < 0) return { inOrder: false };
  return { inOrder: true, previousStage: index === 0 ? null : (stages[index - 1] as string) };
}

/** A migration a run would apply: its id and the checksum of the text it would run. */
export interface StagedMigration {
  id: string;
  checksum: string;
  /** The squash of the bundle that replaces it, if any: a stage that applied the squash has what it makes. */
  squash?: { id: string; checksum: string };
}

/**
 * The migrations of `steps` a run would apply, as the order check needs them:
 * id, checksum and the squash that replaces each (looked up only when the
 * bundle has squashes).
 *
 * @example
 * stagedMigrations(steps, bundle.migrations); // [{ id: 'a/0002_y', checksum: 'v1:…', squash: { id: 'a/0002_squashed', checksum: 'v1:…' } }]
 */
export function stagedMigrations(steps: readonly PlanStep[], migrations: readonly Migration[]): StagedMigration[] {
  const squashOf = new Map<string, Migration>();
  for (const squash of squashesOf(migrations)) for (const id of squash.directives.replaces) squashOf.set(id, squash);
  const staged: StagedMigration[] = [];
  for (const step of steps) {
    if (step.kind === 'revert') continue;
    const { id, checksum } = step.migration;
    const squash = squashOf.get(id);
    staged.push(squash ? { id, checksum, squash: { id: squash.id, checksum: squash.checksum } } : { id, checksum });
  }
  return staged;
}

/** What the order check decided. */
export type StageOrderDecision =
  | { allowed: true }
  | {
      allowed: false;
      previousStage: string;
      reason: StageOrderReason;
      /** Every migration the previous stage has not applied as this run would run it, in order. */
      missing: string[];
      /** Those of `missing` the previous stage applied with another checksum (the file was edited since). */
      changed: string[];
    };

/**
 * Decides whether a stage may apply `toApply` (the migrations this run would
 * apply, in order): every one must be applied on the previous stage with the
 * same checksum, so a file edited after the previous stage applied it (which
 * that stage refuses with CHECKSUM_MISMATCH) never reaches the next stage
 * untried. The first stage (no previous) and a run that applies nothing are
 * always allowed; a previous stage without a record refuses whatever is to
 * be applied.
 *
 * @example
 * decideStageOrder({ previousStage: 'staging', previous: record, toApply: [{ id: 'shop/0004_refunds', checksum: 'v1:…' }] });
 * // { allowed: false, previousStage: 'staging', reason: 'not-applied', missing: ['shop/0004_refunds'], changed: [] }
 */
export function decideStageOrder(input: { previousStage: string | null; previous: StageRecord | null; toApply: readonly StagedMigration[] }): StageOrderDecision {
  if (input.previousStage === null || input.toApply.length === 0) return { allowed: true };
  const ids = input.toApply.map((m) => m.id);
  if (input.previous === null) return { allowed: false, previousStage: input.previousStage, reason: StageOrderReason.NO_RECORD, missing: ids, changed: [] };
  const done = new Map(input.previous.applied.map((entry) => [entry.id, entry.checksum]));
  // Done there: applied as this run would run it, or through the squash that replaces it (a fresh stage runs only the squash).
  const isDone = (m: StagedMigration): boolean => done.get(m.id) === m.checksum || (m.squash !== undefined && done.get(m.squash.id) === m.squash.checksum);
  const missing = input.toApply.filter((m) => !isDone(m)).map((m) => m.id);
  if (missing.length === 0) return { allowed: true };
  const changed = missing.filter((id) => done.has(id));
  const reason = changed.length === missing.length ? StageOrderReason.CHECKSUM_DIFFERS : StageOrderReason.NOT_APPLIED;
  return { allowed: false, previousStage: input.previousStage, reason, missing, changed };
}

/**
 * Parses a stage list (`dev,staging,production`): names of letters, digits,
 * `-` and `_`, no repeats. Returns the list, or the problem in words.
 *
 * @example
 * parseStageList('dev,staging,production'); // { ok: true, stages: ['dev', 'staging', 'production'] }
 */
export function parseStageList(text: string): { ok: true; stages: string[] } | { ok: false; problem: string } {
  const stages = text.split(',').map((s) => s.trim());
  if (stages.some((s) => !/^[A-Za-z0-9_-]{1,64}$/.test(s))) return { ok: false, problem: 'must be stage names (letters, digits, - and _) separated by commas, such as dev,staging,production' };
  if (new Set(stages).size !== stages.length) return { ok: false, problem: 'names a stage twice' };
  return { ok: true, stages };
}
