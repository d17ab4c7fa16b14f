import { custom, enum as oneOf, literal, strictObject, string } from 'zod';
import { isMigrationId, MAX_ID_LENGTH } from '../../core/migration';

/** What a person decided about a dirty migration (see `stagegate resolve`). */
export type ResolveOutcome = 'applied' | 'rolled-back';

/** The longest reason kept in the run history (a resolve's, a drift acceptance's). */
export const MAX_HISTORY_REASON = 1000;

/**
 * A reason kept in the run history: not blank (`blank` says what it must
 * say), at most {@link MAX_HISTORY_REASON} characters.
 *
 * @example
 * strictObject({ reason: historyReason('must say why') });
 */
export const historyReason = (blank: string) =>
  string()
    .refine((reason) => reason.trim() !== '', { error: blank, abort: true })
    .refine((reason) => reason.length <= MAX_HISTORY_REASON, `must be at most ${MAX_HISTORY_REASON} characters`);

/** A migration id as an event names one (`resolve`, `adopt`). */
export const migrationIdSchema = string()
  .max(MAX_ID_LENGTH, { error: `must be at most ${MAX_ID_LENGTH} characters`, abort: true })
  .refine(isMigrationId, 'must be a migration id such as organization/0002_organization_type (app/NNNN_name)');

/**
 * The `resolve` event: `{"action": "resolve", "id", "outcome", "reason"?}`,
 * strict like every event. It names no bundle: resolving reads and writes
 * the ledger alone, so a `bundle` is refused rather than ignored.
 *
 * @example
 * resolveEventSchema.safeParse({ action: 'resolve', id: 'shop/0004_index', outcome: 'rolled-back' }).success; // true
 */
export const resolveEventSchema = strictObject({
  action: literal('resolve'),
  id: migrationIdSchema,
  outcome: oneOf(['applied', 'rolled-back']),
  reason: historyReason('must say why (it is kept in the run history), or be left out').optional(),
  bundle: custom<never>(() => false, { error: 'goes with the other actions: resolve settles a ledger row and reads no bundle' }).optional(),
});
