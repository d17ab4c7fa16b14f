// Named imports, not the `z` namespace: a bundler can then leave out the parts of zod this never uses
// (its locales alone), which is most of zod and a third of the function's start-up time.
import { boolean, enum as oneOf, strictObject, string, type core } from 'zod';
import { EventInvalidError, type EventProblem } from '../../core/errors';
import { MAX_ID_LENGTH } from '../../core/migration';
import { MAX_OVERRIDE_REASON } from '../../core/stage-record';
import { isTarget } from '../../core/target';
import { namesBundle, type BundleRef } from '../s3/bundle-ref';
import { adoptEventSchema } from './adopt-event';
import { historyReason, resolveEventSchema, type ResolveOutcome } from './resolve-event';

/** What the migrate function may be asked to do. */
export const EventAction = {
  PLAN: 'plan',
  MIGRATE: 'migrate',
  STATUS: 'status',
  /** Compare the schema with the drift baseline; with `accept`, make the live schema the baseline. */
  DRIFT: 'drift',
  /** Settle a dirty `no-transaction` migration by hand (`stagegate resolve --stage`); reads no bundle. */
  RESOLVE: 'resolve',
  /** Record a pending migration whose objects were made by hand, once proven (`stagegate adopt --stage`). */
  ADOPT: 'adopt',
} as const;
export type EventAction = (typeof EventAction)[keyof typeof EventAction];

/** A checked invocation event: the only form of the event past the handler. */
export type MigrateEvent =
  | {
      action: typeof EventAction.PLAN | typeof EventAction.MIGRATE | typeof EventAction.STATUS;
      bundle: BundleRef;
      /** `plan` and `migrate`: the target to go to, forwards or back (a migration id, `<app>/zero` or `zero`). */
      target?: string;
      /** With action `plan` only: rehearse the pending migrations (run them, then roll back). */
      rehearse?: boolean;
      /** `migrate` only: proceed although the previous stage lacks migrations; the reason is recorded. */
      stageOrderOverride?: { reason: string };
    }
  | {
      action: typeof EventAction.DRIFT;
      bundle: BundleRef;
      /** Accept the live schema as the baseline, for this reason. */
      accept?: { reason: string };
    }
  | {
      action: typeof EventAction.RESOLVE;
      /** The dirty migration to settle. */
      id: string;
      outcome: ResolveOutcome;
      /** Why, kept in the run history. */
      reason?: string;
    }
  | {
      action: typeof EventAction.ADOPT;
      bundle: BundleRef;
      /** The pending migration to adopt. */
      id: string;
      /** Record it even when it cannot be proven, for this reason (`--force --reason`). */
      force?: { reason: string };
    };

/** S3's limit on an object key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** More problems than this are summarised in one line: a hostile event must not make a huge error. */
const MAX_PROBLEMS = 20;
/** Field names are echoed in problems; unknown ones are cut to this length. */
const MAX_FIELD_CHARS = 64;

// S3 general purpose bucket naming rules:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
const bucketSchema = string()
  .min(3, { error: 'must be 3 to 63 characters long', abort: true })
  .max(63, { error: 'must be 3 to 63 characters long', abort: true })
  .regex(/^[a-z0-9.-]+$/, 'may hold only lowercase letters, digits, dots and hyphens')
  .regex(/^[a-z0-9].*[a-z0-9]$/, 'must begin and end with a letter or digit')
  .refine((name) => !name.includes('..'), 'must not contain two adjacent dots')
  .refine((name) => !/^\d{1,3}(\.\d{1,3}){3}$/.test(name), 'must not look like an IP address')
  .refine((name) => !/^(xn--|sthree-)|(-s3alias|--ol-s3)$/.test(name), 'uses a prefix or suffix S3 reserves');

const keySchema = string()
  .min(1, { error: 'must not be empty', abort: true })
  .refine((key) => key.length <= MAX_KEY_BYTES && Buffer.byteLength(key, 'utf8') <= MAX_KEY_BYTES, {
    error: `must be at most ${MAX_KEY_BYTES} bytes (S3's limit)`,
    abort: true,
  });

const SHA256 = /^[0-9a-f]{64}$/;
const sha256Schema = string().regex(SHA256, 'must be exactly 64 lowercase hexadecimal characters (the bundle id)');

const targetSchema = string()
  .max(MAX_ID_LENGTH, { error: `must be at most ${MAX_ID_LENGTH} characters`, abort: true })
  .refine(isTarget, 'must be a migration id such as organization/0002_organization_type, <app>/zero or zero');

const reasonSchema = string()
  .trim()
  .min(1, { error: 'must say why the stage order is overridden (it is recorded)', abort: true })
  .max(MAX_OVERRIDE_REASON, { error: `must be at most ${MAX_OVERRIDE_REASON} characters` });

const acceptSchema = strictObject({ reason: historyReason('must say why the live schema becomes the baseline') });

// The key must name the sha256: a copy under another name is not what was published, and a warm
// function that verified the bundle before would answer for it without reading the key at all.
// An invalid sha256 is reported on its own.
const bundleSchema = strictObject({ bucket: bucketSchema, key: keySchema, sha256: sha256Schema }).refine((ref) => !SHA256.test(ref.sha256) || namesBundle(ref.key, ref.sha256), {
  path: ['key'],
  error: 'must be <prefix>/bundles/<sha256>.json.gz, with the sha256 of bundle.sha256 (the key publish gives the bundle)',
});

const adoptSchema = adoptEventSchema(bundleSchema);

// Resolve and adopt events are checked by their own schemas (see parseEvent); they are named here for the message.
const ACTIONS = Object.values(EventAction);
const actionSchema = oneOf([EventAction.PLAN, EventAction.MIGRATE, EventAction.STATUS, EventAction.DRIFT], {
  error: (issue) => (issue.input === undefined ? 'is required' : `must be one of ${ACTIONS.map((a) => JSON.stringify(a)).join(', ')}`),
});

const eventSchema = strictObject({
  action: actionSchema,
  bundle: bundleSchema,
  target: targetSchema.optional(),
  rehearse: boolean().optional(),
  stageOrderOverride: strictObject({ reason: reasonSchema }).optional(),
  accept: acceptSchema.optional(),
})
  .refine((event) => event.target === undefined || event.action === EventAction.PLAN || event.action === EventAction.MIGRATE, {
    path: ['target'],
    message: 'goes with the actions plan and migrate only',
  })
  .refine((event) => event.rehearse === undefined || event.action === EventAction.PLAN, { path: ['rehearse'], error: 'goes only with action "plan"' })
  .refine((event) => event.rehearse === undefined || event.target === undefined, { path: ['rehearse'], error: 'cannot be combined with target: a rehearsal runs the pending migrations' })
  .refine((event) => event.stageOrderOverride === undefined || event.action === EventAction.MIGRATE, {
    error: 'goes with action "migrate" only',
    path: ['stageOrderOverride'],
  })
  .refine((event) => event.accept === undefined || event.action === EventAction.DRIFT, { error: 'goes only with action "drift"', path: ['accept'] });

/** Messages for zod's built-in issues; none of them repeats the value it refused. */
const errorMap: core.$ZodErrorMap = (issue) => {
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && issue.input === undefined) return 'is required';
  if (issue.code === 'invalid_type') return issue.expected === 'object' ? 'must be a JSON object' : `must be a ${issue.expected}`;
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return undefined;
};

function fieldOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(event)';
  const text = path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`)).join('');
  return text.length > MAX_FIELD_CHARS ? `${text.slice(0, MAX_FIELD_CHARS)}…` : text;
}

function problemsOf(issues: readonly core.$ZodIssue[]): EventProblem[] {
  const problems: EventProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ field: fieldOf([...issue.path, key]), problem: 'unknown field' });
    } else {
      problems.push({ field: fieldOf(issue.path), problem: issue.message });
    }
  }
  if (problems.length <= MAX_PROBLEMS) return problems;
  const rest = problems.length - MAX_PROBLEMS + 1;
  return [...problems.slice(0, MAX_PROBLEMS - 1), { field: '(event)', problem: `and ${rest} more problems` }];
}

/**
 * Checks an invocation event strictly: unknown fields, wrong types, missing
 * fields and oversized strings are refused, every problem listed with the
 * path of its field. Nothing past the handler sees the raw event. A
 * `resolve` event names no bundle: it settles a ledger row and runs nothing;
 * an `adopt` event names one and the migration to adopt.
 *
 * @example
 * const event = parseEvent({ action: 'migrate', bundle: { bucket: 'deploys', key: 'stagegate/bundles/ab….json.gz', sha256: 'ab…' } });
 * // throws EventInvalidError (EVENT_INVALID) for anything else
 */
export function parseEvent(event: unknown): MigrateEvent {
  if (typeof event === 'object' && event !== null && (event as { action?: unknown }).action === EventAction.RESOLVE) {
    const resolving = resolveEventSchema.safeParse(event, { error: errorMap });
    if (!resolving.success) throw new EventInvalidError(problemsOf(resolving.error.issues));
    const { action, id, outcome, reason } = resolving.data;
    return { action, id, outcome, ...(reason === undefined ? {} : { reason: reason.trim() }) };
  }
  if (typeof event === 'object' && event !== null && (event as { action?: unknown }).action === EventAction.ADOPT) {
    const adopting = adoptSchema.safeParse(event, { error: errorMap });
    if (!adopting.success) throw new EventInvalidError(problemsOf(adopting.error.issues));
    const { action, bundle, id, reason } = adopting.data;
    return { action, bundle: { bucket: bundle.bucket, key: bundle.key, sha256: bundle.sha256 }, id, ...(reason === undefined ? {} : { force: { reason: reason.trim() } }) };
  }
  const parsed = eventSchema.safeParse(event, { error: errorMap });
  if (!parsed.success) throw new EventInvalidError(problemsOf(parsed.error.issues));
  const { action, bundle, target, rehearse, stageOrderOverride, accept } = parsed.data;
  const ref = { bucket: bundle.bucket, key: bundle.key, sha256: bundle.sha256 };
  if (action === EventAction.DRIFT) return { action, bundle: ref, ...(accept ? { accept: { reason: accept.reason.trim() } } : {}) };
  return {
    action,
    bundle: ref,
    ...(target === undefined ? {} : { target }),
    ...(rehearse ? { rehearse } : {}),
    ...(stageOrderOverride ? { stageOrderOverride: { reason: stageOrderOverride.reason } } : {}),
  };
}
