import { UsageError } from '../core/errors';

/** How a flag that needs `--reason` words its usage errors (each message with its optional remedy). */
export interface ReasonRule {
  /** The flag came without a reason (or with a blank one). */
  needs: [message: string, remedy?: string];
  /** A reason came without the flag; leave out when the reason may serve another flag. */
  goesWith?: [message: string, remedy?: string];
  /** The longest reason kept; no limit when unset. */
  maxLength?: number;
}

/**
 * The `--reason` of a flag that must say why (`--accept`, `--force`,
 * `--override-stage-order`): `{ reason }` trimmed when the flag is set,
 * undefined when it is not. Throws `UsageError` for the flag without a
 * reason, a reason without the flag, or one longer than `maxLength`.
 *
 * @example
 * parseFlagReason(true, ' hotfix ', { needs: ['--accept needs --reason.'] }); // { reason: 'hotfix' }
 */
export function parseFlagReason(flag: unknown, reason: unknown, rule: ReasonRule): { reason: string } | undefined {
  const text = typeof reason === 'string' ? reason.trim() : '';
  if (flag !== true) {
    if (typeof reason === 'string' && rule.goesWith) throw new UsageError(...rule.goesWith);
    return undefined;
  }
  if (text === '') throw new UsageError(...rule.needs);
  if (rule.maxLength !== undefined && text.length > rule.maxLength) {
    throw new UsageError(`--reason is ${text.length} characters; at most ${rule.maxLength} are kept.`, 'Shorten the reason and run again.');
  }
  return { reason: text };
}
