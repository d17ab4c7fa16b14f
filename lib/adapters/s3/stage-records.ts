import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  StageRecordAccessDeniedError,
  StageRecordFailedError,
  StageRecordInvalidError,
  StageRecordProblem,
  type MigrationRunnerError,
} from '../../core/errors';
import { checkStageRecord, type StageRecord } from '../../core/stage-record';

/** A record larger than this is refused unread: a stage with 10,000 migrations writes about 1.5 MB. */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;
const DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AllAccessDisabled', 'ExpiredToken', 'InvalidToken']);

/**
 * The key of a stage's record: `<prefix>/stages/<stage>/state.json` (no
 * leading segment when the prefix is empty).
 *
 * @example
 * stageRecordKey('stagegate', 'staging'); // 'stagegate/stages/staging/state.json'
 */
export function stageRecordKey(prefix: string, stage: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return `${trimmed === '' ? '' : `${trimmed}/`}stages/${stage}/state.json`;
}

/**
 * Reads a stage's record. Null when there is none (the stage never
 * recorded a run). Throws `StageRecordInvalidError` for an object that is
 * not JSON or not a record of this format, `StageRecordAccessDeniedError`
 * when S3 refuses, `StageRecordFailedError` otherwise.
 *
 * @example
 * const record = await readStageRecord(s3, 'deploys', 'stagegate', 'staging');
 */
export async function readStageRecord(s3: S3Client, bucket: string, prefix: string, stage: string): Promise<StageRecord | null> {
  const key = stageRecordKey(prefix, stage);
  const location = `s3://${bucket}/${key}`;
  let text: string;
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if ((response.ContentLength ?? 0) > MAX_RECORD_BYTES) {
      throw new StageRecordInvalidError(stage, location, StageRecordProblem.WRONG_FORMAT, `it is ${response.ContentLength} bytes, more than a record can be`);
    }
    text = (await response.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if (error instanceof StageRecordInvalidError) throw error;
    if (isMissingKey(error)) return null;
    throw s3Error(error, stage, location, 'read');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StageRecordInvalidError(stage, location, StageRecordProblem.NOT_JSON, (error as Error).message.slice(0, 200), error);
  }
  const checked = checkStageRecord(parsed, stage);
  if (!checked.ok) throw new StageRecordInvalidError(stage, location, StageRecordProblem.WRONG_FORMAT, checked.problem);
  return checked.record;
}

/**
 * Writes (replaces) a stage's record. Throws `StageRecordAccessDeniedError`
 * or `StageRecordFailedError`.
 *
 * @example
 * await writeStageRecord(s3, 'deploys', 'stagegate', record);
 */
export async function writeStageRecord(s3: S3Client, bucket: string, prefix: string, record: StageRecord): Promise<void> {
  const key = stageRecordKey(prefix, record.stage);
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(record), ContentType: 'application/json' }));
  } catch (error) {
    throw s3Error(error, record.stage, `s3://${bucket}/${key}`, 'write');
  }
}

/** Only a missing key means "no record": a missing bucket is a configuration error worth reporting. */
function isMissingKey(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? e.Code ?? '';
  return name === 'NoSuchKey' || (name !== 'NoSuchBucket' && e.$metadata?.httpStatusCode === 404);
}

function s3Error(error: unknown, stage: string, location: string, operation: 'read' | 'write'): MigrationRunnerError {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number }; message?: string };
  const name = e.name ?? e.Code ?? '';
  const status = e.$metadata?.httpStatusCode;
  if (DENIED.has(name) || status === 403) return new StageRecordAccessDeniedError(stage, location, operation, error);
  return new StageRecordFailedError(stage, location, operation, `${name || 'error'}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(error)}`.slice(0, 300), error);
}
