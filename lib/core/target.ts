import { TargetUnknownError } from './errors-reverse';
import { isMigrationId, MAX_ID_LENGTH } from './migration';

/** The target that reverts every app: nothing applied. */
export const ZERO = 'zero';

/** Where `migrate --to` goes: one migration, an app with nothing applied, or nothing applied at all. */
export type Target = { kind: 'migration'; id: string } | { kind: 'app-zero'; app: string } | { kind: 'zero' };

const APP_ZERO = /^([a-z][a-z0-9_]*)\/zero$/;

/**
 * Reads a target as `--to` and the Lambda's `target` give it: a migration id
 * (`organization/0002_organization_type`), `<app>/zero` (the app with none of
 * its migrations applied) or `zero` (nothing applied). Throws
 * `TargetUnknownError` for anything else; whether the bundle knows it is
 * checked by the planner.
 *
 * @example
 * parseTarget('organization/zero'); // { kind: 'app-zero', app: 'organization' }
 */
export function parseTarget(text: string): Target {
  if (text === ZERO) return { kind: 'zero' };
  const zero = text.length <= MAX_ID_LENGTH ? APP_ZERO.exec(text) : null;
  if (zero) return { kind: 'app-zero', app: zero[1] as string };
  if (isMigrationId(text)) return { kind: 'migration', id: text };
  throw new TargetUnknownError(text, 'expected a migration id <app>/<NNNN>_<name>, <app>/zero or zero');
}

/**
 * True when `text` has the form of a target (see {@link parseTarget}).
 *
 * @example
 * isTarget('zero'); // true
 */
export function isTarget(text: string): boolean {
  return text === ZERO || (text.length <= MAX_ID_LENGTH && APP_ZERO.test(text)) || isMigrationId(text);
}
