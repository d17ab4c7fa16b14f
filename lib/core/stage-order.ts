/**
 * Stage order: stages are declared in order (dev, staging, production), and
 * a stage may apply a migration only once the stage before it has applied
 * it successfully. Pure decisions; the records come from the caller.
 */
import { StageOrderReason } from './errors';
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

/** What the order check decided. */
export type StageOrderDecision =
  | { allowed: true }
  | { allowed: false; previousStage: string; reason: StageOrderReason; missing: string[] };

/**
 * Decides whether a stage may apply `toApply` (the ids this run would apply,
 * in order): every one must be applied on the previous stage. The first stage
 * (no previous) and a run that applies nothing are always allowed; a
 * previous stage without a record refuses whatever is to be applied.
 *
 * @example
 * decideStageOrder({ previousStage: 'staging', previous: record, toApply: ['shop/0004_refunds'] });
 * // { allowed: false, previousStage: 'staging', reason: 'not-applied', missing: ['shop/0004_refunds'] }
 */
export function decideStageOrder(input: { previousStage: string | null; previous: StageRecord | null; toApply: readonly string[] }): StageOrderDecision {
  if (input.previousStage === null || input.toApply.length === 0) return { allowed: true };
  if (input.previous === null) return { allowed: false, previousStage: input.previousStage, reason: StageOrderReason.NO_RECORD, missing: [...input.toApply] };
  const done = new Set(input.previous.applied.map((entry) => entry.id));
  const missing = input.toApply.filter((id) => !done.has(id));
  if (missing.length === 0) return { allowed: true };
  return { allowed: false, previousStage: input.previousStage, reason: StageOrderReason.NOT_APPLIED, missing };
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
