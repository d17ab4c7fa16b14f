import type { LambdaClient } from '@aws-sdk/client-lambda';
import { publishBundle } from '../../lib/adapters/s3/publish-bundle';
import { encodeBundle } from '../../lib/core/bundle-format';
import { buildCatalog } from '../../lib/core/catalog';
import type { TestDatabase } from '../support/database';
import { startLocalStage, type LocalStage } from '../support/local-stage';
import { errorTypeOf, invokeOffline, offlineLambdaClient, type Offline } from '../support/offline';
import type { LocalS3 } from '../support/s3';

const BUCKET = 'stagegate-offline-test';
const SCHEMA = 'offline_ledger';

describe('Integration: the migrate function invoked through serverless-offline', () => {
  let db: TestDatabase;
  let s3: LocalS3;
  let offline: Offline;
  let lambda: LambdaClient;
  let stage: LocalStage;

  beforeAll(async () => {
    stage = await startLocalStage({ bucket: BUCKET, env: { STAGEGATE_SCHEMA: SCHEMA } });
    ({ db, s3, offline } = stage);
    lambda = offlineLambdaClient(offline);
  });

  afterAll(async () => {
    lambda?.destroy();
    await stage?.stop();
  });

  it('applies a published bundle, then finds the database up to date', async () => {
    // Prepare
    const { bytes, id } = encodeBundle(
      buildCatalog([
        { path: 'shop/0001_orders.sql', content: 'CREATE TABLE offline_orders (id int PRIMARY KEY);' },
        { path: 'shop/0002_items.sql', content: 'CREATE TABLE offline_items (order_id int REFERENCES offline_orders (id));' },
      ]),
    );
    const published = await publishBundle(s3.client, { bucket: BUCKET, prefix: 'stagegate', bytes, bundleId: id });
    const event = { action: 'migrate', bundle: { bucket: published.bucket, key: published.key, sha256: published.sha256 } };
    // Act
    const first = await invokeOffline(lambda, offline.functionName('migrate'), event);
    const second = await invokeOffline(lambda, offline.functionName('migrate'), event);
    // Assess
    expect(first.functionError).toBeUndefined();
    expect(first.payload).toMatchObject({
      action: 'migrate',
      bundleId: id,
      status: 'applied',
      applied: [{ id: 'shop/0001_orders', method: 'executed' }, { id: 'shop/0002_items', method: 'executed' }],
      pending: [],
    });
    expect(first.payload.target).toMatch(/^postgres@127\.0\.0\.1:\d+\/stagegate_test_/);
    const ledger = await db.query<{ id: string; bundle_id: string }>(`select id, bundle_id from ${SCHEMA}.migrations order by id`);
    expect(ledger).toEqual([
      { id: 'shop/0001_orders', bundle_id: id },
      { id: 'shop/0002_items', bundle_id: id },
    ]);
    expect(await db.query("select to_regclass('public.offline_items') is not null as exists")).toEqual([{ exists: true }]);
    expect(second.functionError).toBeUndefined();
    expect(second.payload).toMatchObject({ action: 'migrate', status: 'up-to-date', applied: [], pending: [] });
  });

  it('fails the invocation of a bad event with EVENT_INVALID, as Lambda reports a thrown error', async () => {
    // Act
    const failed = await invokeOffline(lambda, offline.functionName('migrate'), { action: 'drop', bundle: { bucket: BUCKET } });
    // Assess
    expect(failed.statusCode).toBe(200);
    expect(failed.functionError).toBe('Unhandled');
    // serverless-offline 13 answers errorType "Error" whatever was thrown; the name (our code) heads the trace.
    expect(failed.payload.errorType).toBe('Error');
    expect(failed.payload.trace[0]).toMatch(/^EVENT_INVALID: The invocation event is invalid:/);
    expect(errorTypeOf(failed.payload)).toBe('EVENT_INVALID');
    expect(failed.payload.errorMessage).toMatch(/^The invocation event is invalid:\n/);
    expect(failed.payload.errorMessage).toContain('  - action: must be one of "plan", "migrate", "status", "drift"');
    expect(failed.payload.errorMessage).toContain('  - bundle.key: is required');
    expect(failed.payload.errorMessage).toMatch(/\nwhat to do: .+\ndetails: \{.*\}$/);
  });
});
