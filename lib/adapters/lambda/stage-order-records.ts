import type { S3Client } from '@aws-sdk/client-s3';
import { EventInvalidError } from '../../core/errors';
import type { StageRecords } from '../../ports';
import { prefixOfBundleKey, S3StageRecords } from '../s3/s3-stage-records';
import type { LambdaConfig } from './environment';
import type { MigrateEvent } from './event';

/**
 * The stage records a migrate invocation checks and writes: in the event's
 * bucket, under the prefix its bundle was published with. None for `plan`
 * and `status`, and none without a stage order (`STAGEGATE_STAGES` unset),
 * where an override is refused as meaningless.
 *
 * @example
 * const stages = stageOrderRecords(config, event, s3);
 */
export function stageOrderRecords(config: Pick<LambdaConfig, 'stageOrder'>, event: Exclude<MigrateEvent, { action: 'drift' | 'resolve' | 'adopt' }>, s3: S3Client): StageRecords | undefined {
  if (config.stageOrder === null) {
    if (event.stageOrderOverride) {
      throw new EventInvalidError([{ field: 'stageOrderOverride', problem: 'this function has no stage order (STAGEGATE_STAGES is unset), so there is nothing to override' }]);
    }
    return undefined;
  }
  if (event.action !== 'migrate') return undefined;
  const prefix = prefixOfBundleKey(event.bundle.key);
  if (prefix === null) {
    throw new EventInvalidError([{ field: 'bundle.key', problem: 'must be <prefix>/bundles/<sha256>.json.gz: the stage records are kept under the same prefix' }]);
  }
  const { stage, previousStage } = config.stageOrder;
  return new S3StageRecords(s3, { bucket: event.bundle.bucket, prefix, stage, previousStage });
}
