import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AdoptEvent } from '../adapters/lambda/adopt-event';
import type { AdoptResult } from '../adopt';
import type { Logger } from '../ports';
import { invokeMigrate, InvokeNotSent } from './invoke-migrate';
import { parseAdoptAnswer } from './run-answer';
import { publishForStage, stageInterrupted } from './run-remote';

export interface RemoteAdoptRequest {
  stage: string;
  functionName: string;
  bucket: string;
  prefix: string;
  /** The bundle: adopt proves the migration by replaying it and its dependencies. */
  bundle: { bytes: Uint8Array; id: string };
  /** The pending migration to adopt. */
  id: string;
  /** Record it even when it cannot be proven, for this reason. */
  force?: { reason: string };
  /** The CLI's Ctrl-C: stops waiting (the function's adopt goes on); throws `InterruptedError`. */
  stop?: AbortSignal;
}

/**
 * `stagegate adopt --stage`: publishes the bundle (a no-op when it is
 * already there) and invokes the stage's migrate function once with an
 * `adopt` event; the function proves and records the migration on the
 * stage's database. A refusal comes back as the function's error, with the
 * code a local adopt throws (`ADOPT_REFUSED`, `SCRATCH_DATABASE_FAILED`).
 *
 * @example
 * const result = await runRemoteAdopt({ s3, lambda, logger }, { stage: 'prod', functionName, bucket, prefix: 'stagegate', bundle, id: 'shop/0003_refunds' });
 */
export async function runRemoteAdopt(deps: { s3: S3Client; lambda: LambdaClient; logger: Logger }, request: RemoteAdoptRequest): Promise<AdoptResult> {
  const ref = await publishForStage(deps, request);
  const interrupted = { action: 'adopt', stage: request.stage, functionName: request.functionName, ...(request.stop ? { stop: request.stop } : {}) };
  if (request.stop?.aborted) throw stageInterrupted(interrupted, false, []);
  deps.logger.info('function.invoked', { function: request.functionName, stage: request.stage, attempt: 1 });
  const event: AdoptEvent = {
    action: 'adopt',
    bundle: { bucket: ref.bucket, key: ref.key, sha256: ref.sha256 },
    id: request.id,
    ...(request.force ? { force: true, reason: request.force.reason } : {}),
  };
  try {
    return parseAdoptAnswer(await invokeMigrate<unknown>(deps.lambda, request.functionName, event, request.stop), request.functionName);
  } catch (caught) {
    if (request.stop?.aborted) throw stageInterrupted(interrupted, !(caught instanceof InvokeNotSent), []);
    throw caught;
  }
}
