/**
 * Where `squash --prune` looks for proof that a squash is applied: every
 * stage's record in S3, for the stages of `custom.stagegate.stages` in
 * `serverless.yml` (or `STAGEGATE_STAGES`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { parse } from 'yaml';
import { ConfigInvalidError } from '../core/errors';
import type { AppliedEvidence } from '../core/squash-prune';
import { parseStageList } from '../core/stage-order';
import { readStageRecord } from '../adapters/s3/stage-records';

/** `custom.stagegate.stages` of `document`: a list or a comma-separated string; undefined when absent. */
function stagesIn(document: unknown): unknown {
  const custom = (document as { custom?: { stagegate?: { stages?: unknown } } } | null)?.custom;
  return custom?.stagegate?.stages;
}

/**
 * The stage order: `custom.stagegate.stages` in `<cwd>/serverless.yml`,
 * else `STAGEGATE_STAGES`; null when neither names any.
 *
 * @example
 * await readStageList('.', process.env); // ['dev', 'staging', 'production']
 */
export async function readStageList(cwd: string, env: Record<string, string | undefined>): Promise<string[] | null> {
  let configured: unknown;
  const text = await readFile(join(cwd, 'serverless.yml'), 'utf8').catch(() => null);
  if (text !== null) {
    try {
      configured = stagesIn(parse(text));
    } catch {
      configured = undefined;
    }
  }
  const raw = Array.isArray(configured) ? configured.map(String).join(',') : typeof configured === 'string' ? configured : env.STAGEGATE_STAGES;
  if (raw === undefined || raw.trim() === '') return null;
  const parsed = parseStageList(raw);
  if (!parsed.ok) throw new ConfigInvalidError([{ key: 'custom.stagegate.stages', problem: parsed.problem }]);
  return parsed.stages;
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
