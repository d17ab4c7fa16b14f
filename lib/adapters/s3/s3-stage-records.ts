import type { S3Client } from '@aws-sdk/client-s3';
import type { StageRecord } from '../../core/stage-record';
import type { StageRecords } from '../../ports';
import { readStageRecord, writeStageRecord } from './stage-records';

/** Where the records of one stage order live, and which stage this is. */
export interface S3StageRecordsOptions {
  bucket: string;
  /** Key prefix, e.g. `stagegate`: records go under `<prefix>/stages/`. */
  prefix: string;
  stage: string;
  previousStage: string | null;
}

/**
 * The S3 adapter of {@link StageRecords}: reads the previous stage's record
 * and writes this stage's, in the bucket that holds the bundles.
 *
 * @example
 * const stages = new S3StageRecords(s3, { bucket: 'deploys', prefix: 'stagegate', stage: 'production', previousStage: 'staging' });
 */
export class S3StageRecords implements StageRecords {
  readonly stage: string;
  readonly previousStage: string | null;

  constructor(
    private readonly s3: S3Client,
    private readonly options: S3StageRecordsOptions,
  ) {
    this.stage = options.stage;
    this.previousStage = options.previousStage;
  }

  previous(): Promise<StageRecord | null> {
    if (this.previousStage === null) return Promise.resolve(null);
    return readStageRecord(this.s3, this.options.bucket, this.options.prefix, this.previousStage);
  }

  write(record: StageRecord): Promise<void> {
    return writeStageRecord(this.s3, this.options.bucket, this.options.prefix, record);
  }
}

/**
 * The key prefix a bundle key was published under (`<prefix>/bundles/<sha256>.json.gz`),
 * or null when the key does not have that form. Stage records share it.
 *
 * @example
 * prefixOfBundleKey('stagegate/bundles/ab12….json.gz'); // 'stagegate'
 */
export function prefixOfBundleKey(key: string): string | null {
  const match = /^(?:(.*)\/)?bundles\/[0-9a-f]{64}\.json\.gz$/.exec(key);
  return match ? (match[1] ?? '') : null;
}
