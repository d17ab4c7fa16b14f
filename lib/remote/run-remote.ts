import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { asRunnerError, InterruptedError, signalOf } from '../core/errors';
import { RunStatus, type AppliedEntry, type RevertedEntry, type RunResult } from '../core/result';
import { publishBundle, type PublishedBundle } from '../adapters/s3/publish-bundle';
import type { Logger } from '../ports';
import { invokeMigrate, InvokeNotSent } from './invoke-migrate';
import { parseRunAnswer } from './run-answer';

export interface RemoteRunRequest {
  action: 'plan' | 'migrate' | 'status';
  stage: string;
  functionName: string;
  bucket: string;
  prefix: string;
  bundle: { bytes: Uint8Array; id: string };
  /** `plan`/`migrate --to`: the target, sent with every invocation (so a continued run keeps going to it). */
  target?: string;
  /** With action `plan`: rehearse the pending migrations on the stage (see `RunRequest.rehearse`). */
  rehearse?: boolean;
  /** Invocations before giving up on an `incomplete` run (each may last the function's timeout). */
  maxInvocations?: number;
  /** Sent with `migrate` only: proceed although the previous stage lacks migrations. */
  stageOrderOverride?: { reason: string };
  /** The CLI's Ctrl-C: stops waiting (the function's run goes on) and invokes no more; throws `InterruptedError`. */
  stop?: AbortSignal;
}

export const DEFAULT_MAX_INVOCATIONS = 20;

/**
 * Runs a command on a stage through its migrate function: publishes the
 * bundle (a no-op when it is already there), invokes the function, and
 * invokes it again while the run comes back `incomplete`, showing progress.
 * The result has the same shape as a local run's; `applied` covers every
 * invocation.
 *
 * @example
 * const result = await runRemote({ s3, lambda, logger }, { action: 'migrate', stage: 'prod', functionName, bucket, prefix: 'stagegate', bundle });
 */
export async function runRemote(deps: { s3: S3Client; lambda: LambdaClient; logger: Logger }, request: RemoteRunRequest): Promise<RunResult> {
  const started = Date.now();
  const ref = await publishForStage(deps, request);
  // An unset field is undefined, which the event's JSON leaves out.
  const event = {
    action: request.action,
    bundle: { bucket: ref.bucket, key: ref.key, sha256: ref.sha256 },
    target: request.target,
    rehearse: request.rehearse === true ? true : undefined,
    stageOrderOverride: request.action === 'migrate' ? request.stageOrderOverride : undefined,
  };
  const applied: AppliedEntry[] = [];
  const reverted: RevertedEntry[] = [];
  const limit = request.maxInvocations ?? DEFAULT_MAX_INVOCATIONS;
  for (let attempt = 1; ; attempt += 1) {
    if (request.stop?.aborted) throw stageInterrupted(request, false, applied);
    deps.logger.info('function.invoked', { function: request.functionName, stage: request.stage, attempt });
    let result: RunResult;
    try {
      result = parseRunAnswer(await invokeMigrate<unknown>(deps.lambda, request.functionName, event, request.stop), request.functionName);
    } catch (caught) {
      if (request.stop?.aborted) throw stageInterrupted(request, !(caught instanceof InvokeNotSent), applied);
      const error = asRunnerError(caught);
      const before = Array.isArray(error.details.applied) ? (error.details.applied as AppliedEntry[]) : [];
      error.details.applied = [...applied, ...before];
      if (request.target !== undefined) error.details.reverted = [...reverted, ...(Array.isArray(error.details.reverted) ? (error.details.reverted as RevertedEntry[]) : [])];
      throw error;
    }
    for (const entry of result.applied) {
      deps.logger.info(entry.method === 'recorded' ? 'migration.recorded' : 'migration.applied', { id: entry.id, durationMs: entry.durationMs });
    }
    for (const entry of result.reverted ?? []) deps.logger.info('migration.reverted', { id: entry.id, durationMs: entry.durationMs });
    applied.push(...result.applied);
    reverted.push(...(result.reverted ?? []));
    const done = result.status !== RunStatus.INCOMPLETE || attempt >= limit;
    if (done) return { ...result, applied, ...(result.to === undefined ? {} : { reverted }), durationMs: Date.now() - started };
    deps.logger.warn('run.continued', { pending: result.pending.length, next: attempt + 1, limit });
  }
}

/**
 * A stop under `--stage`: the CLI only stopped waiting. When an invocation
 * was on its way (`invoked`), its run goes on in the function and is NOT
 * rolled back; what earlier invocations committed is reported as applied.
 *
 * @example
 * throw stageInterrupted(request, true, applied);
 */
export function stageInterrupted(request: Pick<RemoteRunRequest, 'stage' | 'functionName' | 'stop'> & { action: string }, invoked: boolean, applied: readonly AppliedEntry[]): InterruptedError {
  const signal = signalOf(request.stop);
  const stage = { name: request.stage, functionName: request.functionName, invoked };
  const error = new InterruptedError({ signal, command: request.action, committed: applied.map((a) => a.id), stage });
  error.details.applied = [...applied];
  return error;
}

/**
 * Publishes the bundle of a `--stage` command (a no-op when the bytes are
 * already under its key) and logs where it is: what the function is given.
 *
 * @example
 * const ref = await publishForStage({ s3, logger }, { bucket, prefix: 'stagegate', bundle });
 */
export async function publishForStage(
  deps: { s3: S3Client; logger: Logger },
  request: { bucket: string; prefix: string; bundle: { bytes: Uint8Array; id: string } },
): Promise<PublishedBundle> {
  const ref = await publishBundle(deps.s3, { bucket: request.bucket, prefix: request.prefix, bytes: request.bundle.bytes, bundleId: request.bundle.id });
  deps.logger.info('bundle.published', { bundle: ref.sha256, location: `s3://${ref.bucket}/${ref.key}`, uploaded: ref.uploaded });
  return ref;
}
