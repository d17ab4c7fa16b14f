import { BundleAccessDeniedError, BundleFetchFailedError, BundleNotFoundError, type MigrationRunnerError } from '../../core/errors';

const NOT_FOUND = new Set(['NoSuchKey', 'NoSuchBucket', 'NotFound']);
const DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AllAccessDisabled', 'ExpiredToken', 'InvalidToken']);

/**
 * Maps an S3 SDK error to the bundle error a user can act on: missing
 * (404), denied (403), or a fetch failure worth retrying.
 */
export function bundleFetchError(error: unknown, origin: string): MigrationRunnerError {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number }; message?: string };
  const name = e.name ?? e.Code ?? '';
  const status = e.$metadata?.httpStatusCode;
  if (NOT_FOUND.has(name) || status === 404) return new BundleNotFoundError(origin, error);
  if (DENIED.has(name) || status === 403) return new BundleAccessDeniedError(origin, error);
  return new BundleFetchFailedError(origin, `${name || 'error'}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(error)}`, error);
}
