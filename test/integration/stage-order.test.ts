import { handler } from '../../handlers/migrate';
import { publishBundle } from '../../lib/adapters/s3/publish-bundle';
import type { BundleRef } from '../../lib/adapters/s3/bundle-ref';
import { readStageRecord } from '../../lib/adapters/s3/stage-records';
import { encodeBundle } from '../../lib/core/bundle-format';
import { buildCatalog } from '../../lib/core/catalog';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { captureOutput, failed, functionEnv, invoke, setEnv, succeeded, type CapturedOutput } from '../support/lambda-invoke';
import { S3_CREDENTIALS, useS3 } from '../support/s3';
import { schemaSnapshot } from '../support/schema';

const BUCKET = 'stagegate-stages';
const INIT = { 'app/0001_init.sql': 'CREATE TABLE widget (id bigserial PRIMARY KEY, name text NOT NULL);' };
const BOTH = { ...INIT, 'app/0002_colour.sql': "ALTER TABLE widget ADD COLUMN colour text NOT NULL DEFAULT 'red';" };
const STAGES = ['dev', 'staging', 'production'] as const;
type Stage = (typeof STAGES)[number];

describe('Integration: stage order in the migrate function (real PostgreSQL per stage, one s3rver bucket)', () => {
  let dbs: Record<Stage, TestDatabase>;
  let output: CapturedOutput;
  let restoreEnv: () => void;

  const s3 = useS3(BUCKET);
  beforeEach(async () => {
    dbs = { dev: await createTestDatabase(), staging: await createTestDatabase(), production: await createTestDatabase() };
    // Each test has its own prefix, so no record of another test is seen.
    prefix = `stages-${++counter}`;
    restoreEnv = setEnv(functionEnv(s3.endpoint, S3_CREDENTIALS, { STAGEGATE_STAGES: STAGES.join(','), STAGEGATE_SAFETY_MARGIN_MS: '500' }));
    output = captureOutput();
  });
  afterEach(async () => {
    output.restore();
    restoreEnv();
    await Promise.all(Object.values(dbs).map((db) => db.drop()));
  });

  let counter = 0;
  let prefix = '';
  const publish = async (files: Record<string, string>): Promise<BundleRef> => {
    const { bytes, id } = encodeBundle(buildCatalog(Object.entries(files).map(([path, content]) => ({ path, content }))));
    const ref = await publishBundle(s3.client, { bucket: BUCKET, prefix, bytes, bundleId: id });
    return { bucket: ref.bucket, key: ref.key, sha256: ref.sha256 };
  };
  /** Invokes the function of `stage`: its own database, the shared stage order. */
  const migrateOn = (stage: Stage, bundle: BundleRef, extra: Record<string, unknown> = {}) => {
    process.env.STAGEGATE_STAGE = stage;
    process.env.DATABASE_URL = dbs[stage].url;
    return invoke(handler, { action: 'migrate', bundle, ...extra });
  };
  const applied = async (stage: Stage): Promise<string[]> =>
    (await dbs[stage].query<{ id: string }>("select id from stagegate.migrations where state = 'applied' order by id").catch(() => [])).map((r) => r.id);
  const record = (stage: Stage) => readStageRecord(s3.client, BUCKET, prefix, stage);

  it('lets staging apply what dev applied, and records each stage', async () => {
    // Prepare
    const bundle = await publish(BOTH);
    // Act
    const dev = succeeded(await migrateOn('dev', bundle));
    const staging = succeeded(await migrateOn('staging', bundle));
    // Assess
    expect(dev).toMatchObject({ status: 'applied', stageRecord: { written: true } });
    expect(staging).toMatchObject({ status: 'applied', stageRecord: { written: true } });
    expect(await applied('staging')).toEqual(['app/0001_init', 'app/0002_colour']);
    const devRecord = await record('dev');
    const ledger = await dbs.dev.query<{ id: string; checksum: string }>('select id, checksum from stagegate.migrations order by id');
    expect(devRecord).toMatchObject({ format: 1, stage: 'dev', bundleId: bundle.sha256, overrides: [] });
    expect(devRecord?.applied.map((e) => ({ id: e.id, checksum: e.checksum }))).toEqual(ledger);
    expect(Date.parse(devRecord?.recordedAt ?? '')).not.toBeNaN();
    const stagingRecord = await record('staging');
    expect(stagingRecord?.applied.map((e) => e.id)).toEqual(['app/0001_init', 'app/0002_colour']);
    // The same migrations give the same schema: the fingerprints agree.
    expect(devRecord?.schemaHash).toMatch(/^[0-9a-f]{64}$/);
    expect(stagingRecord?.schemaHash).toBe(devRecord?.schemaHash);
    expect(await record('production')).toBeNull();
  });

  it('refuses staging when dev never ran, names the migrations and changes nothing', async () => {
    // Prepare
    const bundle = await publish(BOTH);
    const before = await schemaSnapshot(dbs.staging);
    // Act
    const error = failed(await migrateOn('staging', bundle));
    // Assess
    expect(error.errorType).toBe('STAGE_ORDER');
    expect(error.error.message).toContain('dev has never recorded a run');
    expect(error.error.message).toContain('app/0001_init');
    expect(error.error.message).toContain('app/0002_colour');
    expect(error.error.details).toMatchObject({ stage: 'staging', previousStage: 'dev', reason: 'no-record', missing: ['app/0001_init', 'app/0002_colour'] });
    expect(await applied('staging')).toEqual([]);
    expect(await schemaSnapshot(dbs.staging)).toEqual(before);
    expect(await record('staging')).toBeNull();
    expect(await dbs.staging.query("select outcome, error->>'code' as code from stagegate.runs")).toEqual([{ outcome: 'failed', code: 'STAGE_ORDER' }]);
  });

  it('refuses staging when dev lacks a migration, naming only that one', async () => {
    // Prepare: dev ran the release before 0002; staging got the next one first
    const first = await publish(INIT);
    const second = await publish(BOTH);
    succeeded(await migrateOn('dev', first));
    const before = await schemaSnapshot(dbs.staging);
    // Act
    const error = failed(await migrateOn('staging', second));
    // Assess
    expect(error.errorType).toBe('STAGE_ORDER');
    expect(error.error.message).toContain('app/0002_colour');
    expect(error.error.message).not.toContain('app/0001_init');
    expect(error.error.details).toMatchObject({ previousStage: 'dev', reason: 'not-applied', missing: ['app/0002_colour'] });
    expect(await applied('staging')).toEqual([]);
    expect(await schemaSnapshot(dbs.staging)).toEqual(before);
  });

  it('refuses staging a migration whose file was edited after dev applied it, naming it, and changes nothing', async () => {
    // Prepare: dev applied 0002; then the file was edited (dev now refuses it with CHECKSUM_MISMATCH)
    succeeded(await migrateOn('dev', await publish(BOTH)));
    const edited = await publish({ ...INIT, 'app/0002_colour.sql': "ALTER TABLE widget ADD COLUMN colour text NOT NULL DEFAULT 'blue';" });
    succeeded(await migrateOn('staging', await publish(INIT)));
    const before = await schemaSnapshot(dbs.staging);
    // Act
    const error = failed(await migrateOn('staging', edited));
    // Assess
    expect(error.errorType).toBe('STAGE_ORDER');
    expect(error.error.message).toContain('edited after dev applied it');
    expect(error.error.message).toContain('app/0002_colour');
    expect(error.error.remedy).toContain('Restore the text dev applied');
    expect(error.error.details).toMatchObject({ previousStage: 'dev', reason: 'checksum-differs', missing: ['app/0002_colour'], changed: ['app/0002_colour'] });
    expect(await applied('staging')).toEqual(['app/0001_init']);
    expect(await schemaSnapshot(dbs.staging)).toEqual(before);
  });

  it('records a fingerprint that tells a hand-changed schema from its previous stage\'s', async () => {
    // Prepare
    const bundle = await publish(INIT);
    succeeded(await migrateOn('dev', bundle));
    succeeded(await migrateOn('staging', bundle));
    await dbs.staging.query('CREATE INDEX widget_name_hand_made ON widget (name)');
    // Act: an up-to-date run rewrites the record
    const again = succeeded(await migrateOn('staging', bundle));
    // Assess
    expect(again).toMatchObject({ status: 'up-to-date', stageRecord: { written: true } });
    expect((await record('staging'))?.schemaHash).not.toBe((await record('dev'))?.schemaHash);
  });

  it('refuses production before staging, even when dev has everything', async () => {
    // Prepare
    const bundle = await publish(BOTH);
    succeeded(await migrateOn('dev', bundle));
    const before = await schemaSnapshot(dbs.production);
    // Act
    const error = failed(await migrateOn('production', bundle));
    // Assess
    expect(error.errorType).toBe('STAGE_ORDER');
    expect(error.error.message).toContain('staging has never recorded a run');
    expect(error.error.message).toMatch(/app\/0001_init.*app\/0002_colour/);
    expect(error.error.details).toMatchObject({ stage: 'production', previousStage: 'staging' });
    expect(await applied('production')).toEqual([]);
    expect(await schemaSnapshot(dbs.production)).toEqual(before);
    expect(await record('production')).toBeNull();
  });

  it('proceeds under an override with a reason, records it in the runs table and the stage record', async () => {
    // Prepare
    const bundle = await publish(BOTH);
    // Act
    const result = succeeded(await migrateOn('staging', bundle, { stageOrderOverride: { reason: 'hotfix INC-123' } }));
    const again = succeeded(await migrateOn('staging', bundle));
    // Assess
    expect(result).toMatchObject({ status: 'applied', stageOrderOverride: { reason: 'hotfix INC-123', previousStage: 'dev', missing: ['app/0001_init', 'app/0002_colour'] } });
    // Nothing left to apply is no reason to refuse, though dev still has no record.
    expect(again).toMatchObject({ status: 'up-to-date', stageRecord: { written: true } });
    const runs = await dbs.staging.query<{ stage_override: unknown }>('select stage_override from stagegate.runs where stage_override is not null');
    expect(runs).toEqual([{ stage_override: { reason: 'hotfix INC-123', previousStage: 'dev', missing: ['app/0001_init', 'app/0002_colour'] } }]);
    expect((await record('staging'))?.overrides).toEqual([
      expect.objectContaining({ reason: 'hotfix INC-123', previousStage: 'dev', bundleId: bundle.sha256, missing: ['app/0001_init', 'app/0002_colour'] }),
    ]);
    expect(output.records().filter((r) => r.message === 'stage_order.overridden')).toHaveLength(1);
  });

  it('refuses an override without a reason before touching anything', async () => {
    // Prepare
    const bundle = await publish(BOTH);
    // Act
    const blank = failed(await migrateOn('staging', bundle, { stageOrderOverride: { reason: '   ' } }));
    const missing = failed(await migrateOn('staging', bundle, { stageOrderOverride: {} }));
    // Assess
    expect(blank.errorType).toBe('EVENT_INVALID');
    expect(blank.error.message).toContain('stageOrderOverride.reason');
    expect(missing.errorType).toBe('EVENT_INVALID');
    expect(await applied('staging')).toEqual([]);
    expect(await dbs.staging.query("select to_regclass('stagegate.runs')::text as t")).toEqual([{ t: null }]);
  });

  it('reports a stage missing from the order as a configuration error', async () => {
    // Prepare
    const bundle = await publish(INIT);
    process.env.STAGEGATE_STAGES = 'dev,production';
    // Act
    const error = failed(await migrateOn('staging', bundle));
    // Assess
    expect(error.errorType).toBe('CONFIG_INVALID');
    expect(error.error.message).toContain('"staging" is not in the stage order');
    expect(await applied('staging')).toEqual([]);
  });
});
