import type { LambdaClient } from '@aws-sdk/client-lambda';
import { asRunnerError, ErrorCode, PromoteRefusedError } from '../core/errors';
import { bundleKey } from '../adapters/s3/bundle-ref';
import { invokeMigrate } from '../remote/invoke-migrate';
import type { Logger } from '../ports';
import type { AliasClient, VersionReader } from './alias-client';
import { bundleIdOfDescription } from './version-stamps';

/** Lambda's limit on an alias description. */
const MAX_DESCRIPTION = 256;

export interface PromoteRequest {
  /** Deployed name of the promoted function, e.g. `svc-prod-api`. */
  functionName: string;
  /** The published version to serve, e.g. `"11"`. */
  version: string;
  aliasName: string;
  /** `stage` names the stage in the log line of the check's invocation. */
  target: { stage: string; bucket: string; prefix: string; migrateFunction: string };
  /** `--force`: move the alias even when the version's bundle does not match the database. */
  force: boolean;
  /** `--reason`: kept in the alias description when forced. */
  reason?: string;
}

export interface PromoteOutcome {
  functionName: string;
  from: string | null;
  to: string;
  /** The bundle the version was deployed with; null when its description has none (only with --force). */
  bundleId: string | null;
  forced: boolean;
  /** Applied migrations the version's bundle lacks (non-empty only when forced). */
  unknown: string[];
  /** The version's migrations the database lacks (non-empty only when forced). */
  pending: string[];
}

/**
 * `promote --to N`: points the alias back at an earlier version, but
 * only when that version's bundle (read from the version's description)
 * matches the database: the migrate function plans that bundle, and a
 * database ahead of it (`DATABASE_AHEAD`) or behind it (pending migrations),
 * or a bundle gone from S3, refuses with `PROMOTE_REFUSED` unless `force`.
 *
 * @example
 * await promote({ lambda, aliases, versions: aliases, logger }, { functionName: 'svc-prod-api', version: '11', aliasName: 'live', target, force: false });
 */
export async function promote(
  deps: { lambda: LambdaClient; aliases: AliasClient; versions: VersionReader; logger: Logger },
  request: PromoteRequest,
): Promise<PromoteOutcome> {
  const { functionName, version } = request;
  if (!/^\d+$/.test(version)) {
    throw new PromoteRefusedError(`"${version}" is not a published version number.`, 'Pass the number of a published version, e.g. --to 11 (`aws lambda list-versions-by-function` lists them).', { function: functionName, version });
  }
  const description = await deps.versions.versionDescription(functionName, version);
  if (description === null) {
    throw new PromoteRefusedError(`Version ${version} of ${functionName} does not exist.`, `List the versions with \`aws lambda list-versions-by-function --function-name ${functionName}\` and promote one of them.`, {
      function: functionName,
      version,
    });
  }
  const bundleId = bundleIdOfDescription(description);
  const check = bundleId === null ? await noBundle(request, deps.logger) : await checkBundle(deps, request, bundleId);
  const current = await deps.aliases.getAlias(functionName, request.aliasName);
  const note = request.force ? forcedNote(request.reason) : `stagegate promote: version ${version}, bundle ${bundleId ?? 'unknown'}`;
  await deps.aliases.updateAlias(functionName, request.aliasName, version, note);
  deps.logger.info('gate.alias.moved', { function: functionName, alias: request.aliasName, from: current?.functionVersion ?? null, to: version });
  deps.logger.info('gate.promote.schema', { version, ...check });
  return { functionName, from: current?.functionVersion ?? null, to: version, bundleId, forced: request.force, ...check };
}

async function noBundle(request: PromoteRequest, logger: Logger): Promise<{ unknown: string[]; pending: string[] }> {
  if (!request.force) {
    throw new PromoteRefusedError(
      `Version ${request.version} of ${request.functionName} names no stagegate bundle in its description, so its migrations cannot be checked against the database.`,
      'It was not deployed through the stagegate plugin. Promote a version that was, or run promote with --force --reason "<why>" if you checked it by hand.',
      { function: request.functionName, version: request.version },
    );
  }
  logger.warn('gate.promote.forced', { message: `version ${request.version} names no bundle; promoting without a check` });
  return { unknown: [], pending: [] };
}

async function checkBundle(
  deps: { lambda: LambdaClient; logger: Logger },
  request: PromoteRequest,
  bundleId: string,
): Promise<{ unknown: string[]; pending: string[] }> {
  const bundle = { bucket: request.target.bucket, key: bundleKey(request.target.prefix, bundleId), sha256: bundleId };
  deps.logger.info('function.invoked', { function: request.target.migrateFunction, stage: request.target.stage, attempt: 1 });
  let pending: string[];
  try {
    pending = (await invokeMigrate(deps.lambda, request.target.migrateFunction, { action: 'plan', bundle })).pending;
  } catch (caught) {
    const error = asRunnerError(caught);
    if (error.code !== ErrorCode.DATABASE_AHEAD && error.code !== ErrorCode.BUNDLE_NOT_FOUND) throw error;
    const unknown = Array.isArray(error.details.unknown) ? (error.details.unknown as string[]) : [];
    const refusal =
      error.code === ErrorCode.BUNDLE_NOT_FOUND
        ? PromoteRefusedError.bundleMissing(request.functionName, request.version, `s3://${bundle.bucket}/${bundle.key}`)
        : PromoteRefusedError.databaseAhead(request.functionName, request.version, unknown);
    if (!request.force) throw refusal;
    deps.logger.warn('gate.promote.forced', { message: refusal.message, reason: request.reason ?? null });
    return { unknown, pending: [] };
  }
  if (pending.length > 0) {
    const refusal = PromoteRefusedError.databaseBehind(request.functionName, request.version, pending);
    if (!request.force) throw refusal;
    deps.logger.warn('gate.promote.forced', { message: refusal.message, reason: request.reason ?? null });
  }
  return { unknown: [], pending };
}

function forcedNote(reason: string | undefined): string {
  const text = `stagegate promote --force: ${reason?.trim() || 'no reason given'}`;
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION - 1)}…` : text;
}
