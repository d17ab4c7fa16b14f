/**
 * Where `squash --prune` looks for proof that a squash is applied: every
 * stage's record in S3, for the stages of `custom.stagegate.stages` in
 * `serverless.yml` (or `STAGEGATE_STAGES`).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { ConfigInvalidError, UsageError } from '../core/errors';
import type { AppliedEvidence } from '../core/squash-prune';
import { parseStageList } from '../core/stage-order';
import { readStageRecord } from '../adapters/s3/stage-records';
import { readServiceStages, type ServiceStages } from '../remote/service-stages';

/**
 * The stage order (and, where serverless.yml gives them, the bucket and
 * prefix): `custom.stagegate.stages` in `<cwd>/serverless.yml`, else
 * `STAGEGATE_STAGES`; null when neither names any stage.
 *
 * @example
 * await readStageList('.', process.env); // { stages: ['dev', 'staging', 'production'], bucket: null, prefix: 'stagegate' }
 */
export async function readStageList(cwd: string, env: Record<string, string | undefined>): Promise<ServiceStages | null> {
  try {
    return await readServiceStages(cwd);
  } catch (error) {
    // No serverless.yml, or one without stages: a team without stage records checks a database instead.
    if (!(error instanceof UsageError)) throw error;
  }
  const raw = env.STAGEGATE_STAGES;
  if (raw === undefined || raw.trim() === '') return null;
  const parsed = parseStageList(raw);
  if (!parsed.ok) throw new ConfigInvalidError([{ key: 'STAGEGATE_STAGES', problem: parsed.problem }]);
  return { stages: parsed.stages, bucket: null, prefix: null };
}

/**
 * What each stage's record says is applied (null for a stage that never recorded a run).
 *
 * @example
 * const evidence = await stageEvidence(s3, 'deploys', 'stagegate', ['dev', 'production']);
 */
export async function stageEvidence(s3: S3Client, bucket: string, prefix: string, stages: readonly string[]): Promise<AppliedEvidence[]> {
  const evidence: AppliedEvidence[] = [];
  for (const stage of stages) {
    const record = await readStageRecord(s3, bucket, prefix, stage);
    evidence.push({ where: `stage ${stage}`, applied: record === null ? null : new Set(record.applied.map((a) => a.id)) });
  }
  return evidence;
}
