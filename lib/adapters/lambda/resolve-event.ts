import { custom, enum as oneOf, literal, strictObject, string } from 'zod';
import { isMigrationId, MAX_ID_LENGTH } from '../../core/migration';

/** What a person decided about a dirty migration (see `stagegate resolve`). */
export type ResolveOutcome = 'applied' | 'rolled-back';

/** The longest reason kept in the run history, as for a drift acceptance. */
export const MAX_RESOLVE_REASON = 1000;

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
  id: string()
    .max(MAX_ID_LENGTH, { error: `must be at most ${MAX_ID_LENGTH} characters`, abort: true })
    .refine(isMigrationId, 'must be a migration id such as organization/0002_organization_type (app/NNNN_name)'),
  outcome: oneOf(['applied', 'rolled-back']),
  reason: string()
    .refine((reason) => reason.trim() !== '', { error: 'must say why (it is kept in the run history), or be left out', abort: true })
    .refine((reason) => reason.length <= MAX_RESOLVE_REASON, `must be at most ${MAX_RESOLVE_REASON} characters`)
    .optional(),
  bundle: custom<never>(() => false, { error: 'goes with the other actions: resolve settles a ledger row and reads no bundle' }).optional(),
});
