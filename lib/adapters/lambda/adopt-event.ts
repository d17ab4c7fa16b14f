import { literal, strictObject, type ZodType } from 'zod';
import type { BundleRef } from '../s3/bundle-ref';
import { historyReason, migrationIdSchema } from './resolve-event';

/** An `adopt` event as sent: `--force --reason` are its `force` and `reason`. */
export interface AdoptEvent {
  action: 'adopt';
  bundle: BundleRef;
  id: string;
  force?: true;
  reason?: string;
}

/**
 * The `adopt` event: `{"action": "adopt", "bundle", "id", "force"?: true,
 * "reason"?}`, strict like every event, with the bundle checked as for the
 * other actions (`bundle` is the schema of a bundle reference). `force`
 * needs a reason and a reason goes with `force`, as `--force --reason` on
 * the command line; the reason is kept in the run history.
 *
 * @example
 * adoptEventSchema(bundleSchema).safeParse({ action: 'adopt', bundle, id: 'shop/0003_refunds' }).success; // true
 */
export const adoptEventSchema = <B extends ZodType>(bundle: B) =>
  strictObject({
    action: literal('adopt'),
    bundle,
    id: migrationIdSchema,
    force: literal(true).optional(),
    reason: historyReason('must say why the migration is recorded without its proof (it is kept in the run history)').optional(),
  })
    .refine((event) => event.force === undefined || event.reason !== undefined, { path: ['reason'], error: 'is required with force: it is kept in the run history' })
    .refine((event) => event.reason === undefined || event.force !== undefined, { path: ['reason'], error: 'goes with force' });
