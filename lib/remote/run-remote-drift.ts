import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { publishBundle } from '../adapters/s3/publish-bundle';
import type { DriftResult } from '../drift';
import type { Logger } from '../ports';
import { invokeMigrate } from './invoke-migrate';

export interface RemoteDriftRequest {
  stage: string;
  functionName: string;
  bucket: string;
  prefix: string;
  /** The event names a bundle; the function does not read it for `drift`. */
  bundle: { bytes: Uint8Array; id: string };
  accept?: { reason: string };
}

/**
 * `stagegate drift --stage`: one invocation of the stage's migrate function
 * with a `drift` event. Drift comes back as the function's `DRIFT_DETECTED`,
 * the same error a local run throws.
 *
 * @example
 * const result = await runRemoteDrift({ s3, lambda, logger }, { stage: 'prod', functionName, bucket, prefix: 'stagegate', bundle });
 */
export async function runRemoteDrift(deps: { s3: S3Client; lambda: LambdaClient; logger: Logger }, request: RemoteDriftRequest): Promise<DriftResult> {
  const ref = await publishBundle(deps.s3, { bucket: request.bucket, prefix: request.prefix, bytes: request.bundle.bytes, bundleId: request.bundle.id });
  deps.logger.info('function.invoked', { function: request.functionName, stage: request.stage, attempt: 1 });
  const bundle = { bucket: ref.bucket, key: ref.key, sha256: ref.sha256 };
  return invokeMigrate<DriftResult>(deps.lambda, request.functionName, { action: 'drift', bundle, accept: request.accept });
}
