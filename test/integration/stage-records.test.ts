import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../lib/adapters/s3/s3-client';
import { readStageRecord, stageRecordKey, writeStageRecord } from '../../lib/adapters/s3/stage-records';
import { buildStageRecord, type StageRecord } from '../../lib/core/stage-record';
import { failure } from '../support/failure';
import { useS3 } from '../support/s3';

const BUCKET = 'stage-records';

function sampleRecord(stage: string): StageRecord {
  return buildStageRecord({
    stage,
    bundleId: 'a'.repeat(64),
    recordedAt: '2026-11-30T10:00:00.000Z',
    ledger: [
      { id: 'app/0002_b', checksum: 'v1:bb', state: 'applied', appliedAt: '2026-11-30T09:59:00.000Z', durationMs: 3, bundleId: 'x', appliedBy: 'me', method: 'executed' },
      { id: 'app/0001_a', checksum: 'v1:aa', state: 'applied', appliedAt: '2026-11-30T09:58:00.000Z', durationMs: 2, bundleId: 'x', appliedBy: 'me', method: 'executed' },
      { id: 'app/0003_c', checksum: 'v1:cc', state: 'failed', appliedAt: '2026-11-30T09:59:30.000Z', durationMs: null, bundleId: 'x', appliedBy: 'me', method: 'executed' },
    ],
    schemaHash: 'f'.repeat(64),
    overrides: [],
  });
}

describe('Integration: stage records in S3 (s3rver)', () => {
  const s3 = useS3(BUCKET);

  const putRaw = (prefix: string, stage: string, body: string) =>
    s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: stageRecordKey(prefix, stage), Body: body }));

  it('reads null for a stage that never recorded a run', async () => {
    // Act
    const record = await readStageRecord(s3.client, BUCKET, 'absent', 'staging');
    // Assess
    expect(record).toBeNull();
  });

  it('writes a record under <prefix>/stages/<stage>/state.json and reads it back unchanged', async () => {
    // Prepare
    const record = sampleRecord('staging');
    // Act
    await writeStageRecord(s3.client, BUCKET, 'svc/stagegate', record);
    const read = await readStageRecord(s3.client, BUCKET, 'svc/stagegate', 'staging');
    // Assess
    expect(stageRecordKey('svc/stagegate', 'staging')).toBe('svc/stagegate/stages/staging/state.json');
    expect(read).toEqual(record);
    // Only applied rows, sorted by id: the failed no-transaction migration was not applied successfully.
    expect(read?.applied.map((e) => e.id)).toEqual(['app/0001_a', 'app/0002_b']);
  });

  it('refuses a record that is not JSON with STAGE_RECORD_INVALID (not-json)', async () => {
    // Prepare
    await putRaw('corrupt', 'dev', '{"format": 1, "stage": "dev", ');
    // Act
    const error = await failure(readStageRecord(s3.client, BUCKET, 'corrupt', 'dev'));
    // Assess
    expect(error.code).toBe('STAGE_RECORD_INVALID');
    expect(error.details).toMatchObject({ stage: 'dev', problem: 'not-json', location: `s3://${BUCKET}/corrupt/stages/dev/state.json` });
  });

  it('refuses a record of another format or stage with STAGE_RECORD_INVALID (wrong-format)', async () => {
    // Prepare
    await putRaw('future', 'dev', JSON.stringify({ ...sampleRecord('dev'), format: 2 }));
    await putRaw('swapped', 'dev', JSON.stringify(sampleRecord('production')));
    await putRaw('broken', 'dev', JSON.stringify({ ...sampleRecord('dev'), applied: [{ id: 'app/0001_a' }] }));
    // Act
    const future = await failure(readStageRecord(s3.client, BUCKET, 'future', 'dev'));
    const swapped = await failure(readStageRecord(s3.client, BUCKET, 'swapped', 'dev'));
    const broken = await failure(readStageRecord(s3.client, BUCKET, 'broken', 'dev'));
    // Assess
    expect([future.code, swapped.code, broken.code]).toEqual(['STAGE_RECORD_INVALID', 'STAGE_RECORD_INVALID', 'STAGE_RECORD_INVALID']);
    expect(future.message).toContain('format is 2; this version reads 1');
    expect(swapped.message).toContain('names stage "production", not dev');
    expect(broken.message).toContain('applied is not a list');
  });

  it('reports a refused read as STAGE_RECORD_ACCESS_DENIED and a missing bucket as STAGE_RECORD_FAILED', async () => {
    // Prepare
    const stranger = createS3Client({ region: 'us-east-1', endpoint: s3.endpoint, credentials: { accessKeyId: 'NOT-S3RVER', secretAccessKey: 'wrong' } });
    try {
      // Act
      const denied = await failure(readStageRecord(stranger, BUCKET, 'svc/stagegate', 'staging'));
      const noBucket = await failure(readStageRecord(s3.client, 'no-such-bucket', 'svc/stagegate', 'staging'));
      const writeDenied = await failure(writeStageRecord(stranger, BUCKET, 'svc/stagegate', sampleRecord('staging')));
      // Assess
      expect(denied.code).toBe('STAGE_RECORD_ACCESS_DENIED');
      expect(denied.details).toMatchObject({ stage: 'staging', operation: 'read' });
      expect(writeDenied.code).toBe('STAGE_RECORD_ACCESS_DENIED');
      expect(noBucket.code).toBe('STAGE_RECORD_FAILED');
      expect(noBucket.message).toContain('NoSuchBucket');
    } finally {
      stranger.destroy();
    }
  });
});
