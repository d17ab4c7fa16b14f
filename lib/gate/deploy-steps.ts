import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { AliasUpdateFailedError, asRunnerError, DeployRefusedError, ErrorCode, type MigrationRunnerError } from '../core/errors';
import { RunStatus, type RunResult } from '../core/result';
import { publishBundle, type PublishedBundle } from '../adapters/s3/publish-bundle';
import { runRemote } from '../remote/run-remote';
import type { Logger } from '../ports';
import type { AliasClient } from './alias-client';
import type { PreparedBundle } from './prepare-bundle';

/** Where bundles go and which function applies them, for one stage. */
export interface StageTarget {
  stage: string;
  bucket: string;
  prefix: string;
  /** Deployed name of the migrate function. */
  migrateFunction: string;
  maxInvocations: number;
  /** Rehearse the pending migrations before applying them, and stop the deploy if one fails (`custom.stagegate.rehearse`). */
  rehearse?: boolean;
  /** `--override-stage-order --reason`: sent with `migrate` only. */
  stageOrderOverride?: { reason: string };
}

/**
 * Invocations a deploy's rehearsal gets. Unlike a migrate run, a rehearsal
 * keeps nothing, so each call starts again from the first migration with the
 * same budget: a second call covers a slow first one (a cold start, a lock
 * wait), and more would only repeat it, each up to the function's timeout.
 */
const REHEARSAL_INVOCATIONS = 2;

/** A function whose alias the gate moves. */
export interface PromotedFunction {
  /** Deployed name, e.g. `svc-prod-api`. */
  functionName: string;
  /**
   * Sets the alias's `FunctionVersion` to `version` in the template about to
   * be uploaded (the plugin applies `routeThroughAlias` with `servingVersion`).
   */
  pin(version: string): void;
}

export interface BeforeUpdateRequest {
  bundle: PreparedBundle;
  target: Pick<StageTarget, 'bucket' | 'prefix'>;
  aliasName: string;
  functions: readonly PromotedFunction[];
}

/** Each promoted function's serving version, null where nothing serves yet. */
export type ServingVersions = Record<string, string | null>;

/**
 * Steps 2 and 3 of the gate, before the stack update: publishes the bundle
 * (idempotent), then pins each promoted function's alias in the template
 * to the version it points at now, so the update publishes the new code
 * without serving it. A function with no alias yet (first deploy) is left
 * as the template has it.
 *
 * @example
 * const { serving } = await beforeStackUpdate({ s3, aliases, logger }, { bundle, target, aliasName: 'live', functions: [{ functionName: 'svc-prod-api', pin }] });
 */
export async function beforeStackUpdate(
  deps: { s3: S3Client; aliases: AliasClient; logger: Logger },
  request: BeforeUpdateRequest,
): Promise<{ published: PublishedBundle; serving: ServingVersions }> {
  const { bundle, target } = request;
  const published = await publishBundle(deps.s3, { bucket: target.bucket, prefix: target.prefix, bytes: bundle.bytes, bundleId: bundle.id });
  deps.logger.info('bundle.published', { bundle: published.sha256, location: `s3://${published.bucket}/${published.key}`, uploaded: published.uploaded });
  const serving: ServingVersions = {};
  for (const fn of request.functions) {
    const alias = await deps.aliases.getAlias(fn.functionName, request.aliasName);
    serving[fn.functionName] = alias?.functionVersion ?? null;
    if (alias) {
      fn.pin(alias.functionVersion);
      deps.logger.info('gate.alias.pinned', { function: fn.functionName, alias: request.aliasName, version: alias.functionVersion });
    } else {
      deps.logger.warn('gate.alias.first', { function: fn.functionName, alias: request.aliasName });
    }
  }
  return { published, serving };
}

/** The stage's migrate function, run through the gate: publish, invoke, invoke again while incomplete. */
export async function migrateStage(
  deps: { s3: S3Client; lambda: LambdaClient; logger: Logger },
  request: { bundle: PreparedBundle; target: StageTarget; action: 'migrate' | 'plan' | 'status'; rehearse?: boolean },
): Promise<RunResult> {
  const { bundle, target } = request;
  return runRemote(deps, {
    action: request.action,
    rehearse: request.rehearse,
    stage: target.stage,
    functionName: target.migrateFunction,
    bucket: target.bucket,
    prefix: target.prefix,
    bundle: { bytes: bundle.bytes, id: bundle.id },
    maxInvocations: target.maxInvocations,
    stageOrderOverride: target.stageOrderOverride,
  });
}

export interface AfterUpdateRequest {
  bundle: PreparedBundle;
  target: StageTarget;
  aliasName: string;
  /** Each promoted function with the version the stack update published for it. */
  functions: readonly { functionName: string; newVersion: string }[];
}

/** What a successful gate did. */
export interface GateOutcome {
  result: RunResult;
  moved: { functionName: string; from: string | null; to: string }[];
}

/**
 * Steps 4 and 5, after the stack update: applies the bundle's migrations
 * through the migrate function (first rehearsing them when
 * `target.rehearse` is set: a failed rehearsal stops here), and only when every one is applied moves
 * each promoted function's alias to its new version. A failing migration (or
 * a run still incomplete after `maxInvocations`) throws, and no alias moves:
 * the old code keeps serving.
 *
 * @example
 * const { result, moved } = await afterStackUpdate({ s3, lambda, aliases, logger }, { bundle, target, aliasName: 'live', functions });
 */
export async function afterStackUpdate(
  deps: { s3: S3Client; lambda: LambdaClient; aliases: AliasClient; logger: Logger },
  request: AfterUpdateRequest,
): Promise<GateOutcome> {
  let result: RunResult;
  try {
    if (request.target.rehearse) {
      // A rehearsal that fails throws REHEARSAL_FAILED with the report: nothing was applied, and no alias moves.
      const invocations = Math.min(REHEARSAL_INVOCATIONS, request.target.maxInvocations);
      const rehearsal = await migrateStage(deps, { bundle: request.bundle, target: { ...request.target, maxInvocations: invocations }, action: 'plan', rehearse: true });
      assertRehearsedInTime(rehearsal, request, invocations);
      deps.logger.info('gate.rehearsed', { migrations: rehearsal.rehearsal?.length ?? 0 });
    }
    result = await migrateStage(deps, { bundle: request.bundle, target: request.target, action: 'migrate' });
  } catch (caught) {
    const error = asRunnerError(caught);
    const servingNew = await servingNewVersion(deps.aliases, request);
    deps.logger.error('gate.alias.kept', { alias: request.aliasName, stage: request.target.stage, code: error.code, ...(servingNew.length > 0 ? { servingNew } : {}) });
    throw error;
  }
  const finished = (result.status === RunStatus.APPLIED || result.status === RunStatus.UP_TO_DATE) && result.pending.length === 0;
  if (!finished && result.status !== RunStatus.INCOMPLETE) {
    deps.logger.error('gate.alias.kept', { alias: request.aliasName, stage: request.target.stage, code: ErrorCode.DEPLOY_REFUSED });
    throw new DeployRefusedError(
      `${request.target.migrateFunction} answered status "${result.status}" with ${result.pending.length} migration(s) pending on stage ${request.target.stage}, so the migrations are not known to be applied. The alias ${request.aliasName} was not moved: the previous code keeps serving.`,
      'Run `serverless migrate status` to see the stage\'s state, then `serverless deploy` again.',
      { stage: request.target.stage, function: request.target.migrateFunction, status: result.status, pending: result.pending },
    );
  }
  if (result.status === RunStatus.INCOMPLETE) {
    throw new DeployRefusedError(
      `The migrations did not finish within ${request.target.maxInvocations} invocations of ${request.target.migrateFunction}; ${result.pending.length} are still pending (${result.pending.join(', ')}). The alias ${request.aliasName} was not moved: the previous code keeps serving.`,
      'Run `serverless migrate` to continue (applied migrations stay applied), then `serverless deploy` again; or raise custom.stagegate.maxInvocations.',
      { applied: result.applied, pending: result.pending },
    );
  }
  return { result, moved: await moveAliases(deps, request) };
}

/**
 * A rehearsal that ran out of time on every invocation rehearsed only some
 * of the migrations: the deploy stops before applying any, as for a failed
 * one, rather than apply migrations it never tried.
 */
function assertRehearsedInTime(rehearsal: RunResult, request: AfterUpdateRequest, invocations: number): void {
  const untried = (rehearsal.rehearsal ?? []).filter((entry) => entry.outOfTime === true).map((entry) => entry.id);
  if (rehearsal.status !== RunStatus.INCOMPLETE && untried.length === 0) return;
  const { stage, migrateFunction } = request.target;
  throw new DeployRefusedError(
    `The rehearsal on stage ${stage} ran out of time in each of its ${invocations} invocation(s) of ${migrateFunction}: ${untried.length} migration(s) were never rehearsed (${untried.join(', ') || 'see the plan'}). Nothing was applied; the alias ${request.aliasName} was not moved.`,
    `Give the rehearsal the time it needs: raise ${migrateFunction}'s timeout (up to 15 min) or split the long migrations; or deploy with custom.stagegate.rehearse: false to apply them unrehearsed, one invocation after another.`,
    { stage, function: migrateFunction, notRehearsed: untried },
  );
}

/**
 * The functions whose alias already serves the version just published: on
 * a first deploy the stack created the alias there, so no earlier version
 * keeps serving. Best effort: a failed look-up counts as not serving.
 */
async function servingNewVersion(aliases: AliasClient, request: AfterUpdateRequest): Promise<string[]> {
  const serving: string[] = [];
  for (const fn of request.functions) {
    const alias = await aliases.getAlias(fn.functionName, request.aliasName).catch(() => null);
    if (alias?.functionVersion === fn.newVersion) serving.push(fn.functionName);
  }
  return serving;
}

/** An alias move that failed once the migrations were applied: says so, which aliases already moved, and how to finish. */
function afterMigrations(error: MigrationRunnerError, fn: { functionName: string; newVersion: string }, request: AfterUpdateRequest, moved: GateOutcome['moved']): MigrationRunnerError {
  if (error.code !== ErrorCode.ALIAS_UPDATE_FAILED) return error;
  const already = moved.length > 0 ? ` ${moved.map((m) => `${m.functionName} (version ${m.to})`).join(', ')} already serve(s) the new code.` : '';
  const remedy = `${error.remedy} On stage ${request.target.stage} the migrations were applied and ${request.aliasName} of ${fn.functionName} still serves the previous version.${already} Once fixed, run \`serverless promote --to ${fn.newVersion}\` for ${fn.functionName} (or deploy again).`;
  return new AliasUpdateFailedError(fn.functionName, request.aliasName, fn.newVersion, `${String(error.details.reason)} (stage ${request.target.stage})`, remedy, error.cause);
}

/** Step 5: moves each promoted function's alias to its new version, in order. */
async function moveAliases(deps: { aliases: AliasClient; logger: Logger }, request: AfterUpdateRequest): Promise<GateOutcome['moved']> {
  const moved: GateOutcome['moved'] = [];
  for (const fn of request.functions) {
    const current = await deps.aliases.getAlias(fn.functionName, request.aliasName);
    if (current?.functionVersion !== fn.newVersion) {
      await deps.aliases.updateAlias(fn.functionName, request.aliasName, fn.newVersion, `stagegate deploy: bundle ${request.bundle.id}`).catch((caught: unknown) => {
        throw afterMigrations(asRunnerError(caught), fn, request, moved);
      });
    }
    moved.push({ functionName: fn.functionName, from: current?.functionVersion ?? null, to: fn.newVersion });
    deps.logger.info('gate.alias.moved', { function: fn.functionName, alias: request.aliasName, from: current?.functionVersion ?? null, to: fn.newVersion });
  }
  return moved;
}
