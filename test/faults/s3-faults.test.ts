/**
 * Faults, part 4: S3 fails while the migrate function fetches the bundle.
 * Whatever S3 does, nothing may touch the database. A bundle overwritten
 * in s3rver (a body of the wrong hash) is in test/integration/handler.test.ts;
 * here a small HTTP server plays S3, through the real S3 client.
 */
import { handler } from '../../handlers/migrate';
import { BundleCache } from '../../lib/adapters/s3/bundle-cache';
import { bundleKey, type BundleRef } from '../../lib/adapters/s3/bundle-ref';
import { S3BundleSource } from '../../lib/adapters/s3/s3-bundle-source';
import { createS3Client } from '../../lib/adapters/s3/s3-client';
import { PgMigrationDatabase } from '../../lib/adapters/postgres';
import { encodeBundle, MAX_BUNDLE_BYTES } from '../../lib/core/bundle-format';
import { buildCatalog } from '../../lib/core/catalog';
import { runMigrations } from '../../lib/run';
import { startFakeS3, type FakeS3 } from '../support/fake-s3';
import { failure } from '../support/failure';
import { createFaultDatabase, filesOf, step, type FaultDatabase } from '../support/faults';
import { captureOutput, failed, functionEnv, invoke, setEnv, type CapturedOutput } from '../support/lambda-invoke';
import { createWorkspace, MemoryLogger, TEST_SETTINGS, type Workspace } from '../support/workspace';

const BUCKET = 'stagegate-faults';
const steps = [step(1), step(2), step(3)];

function bundleOf(files: Record<string, string>): { bytes: Buffer; ref: BundleRef } {
  const { bytes, id } = encodeBundle(buildCatalog(Object.entries(files).map(([path, content]) => ({ path, content }))));
  return { bytes, ref: { bucket: BUCKET, key: bundleKey('stagegate', id), sha256: id } };
}

describe('Faults: S3 fails while the bundle is fetched', () => {
  let s3: FakeS3;
  let fdb: FaultDatabase;
  let ws: Workspace;
  let output: CapturedOutput;
  let restoreEnv: () => void;
  const bundle = bundleOf(filesOf(steps));

  beforeAll(async () => {
    s3 = await startFakeS3();
  });
  afterAll(() => s3.stop());
  beforeEach(async () => {
    fdb = await createFaultDatabase();
    ws = createWorkspace();
    restoreEnv = setEnv(functionEnv(s3.endpoint, { accessKeyId: 'FAKE', secretAccessKey: 'FAKE' }, { DATABASE_URL: fdb.url, STAGEGATE_STAGE: 'faults' }));
    output = captureOutput();
  });
  afterEach(async () => {
    output.restore();
    restoreEnv();
    await fdb.drop();
    ws.remove();
  });

  /** Nothing reached the database (not even the ledger), no secret was logged, and a run with a good bundle completes. */
  async function expectUntouchedThenRecovered(outcome: unknown): Promise<void> {
    fdb.record(outcome);
    fdb.record(output.text());
    expect(await fdb.ledger()).toEqual([]);
    await fdb.expectConsistent(steps);
    await fdb.expectFollowingRunCompletes(ws.migrations(filesOf(steps)), steps);
  }

  it('reports a 500 as BUNDLE_FETCH_FAILED after the SDK retried, and touches nothing', async () => {
    // Prepare
    s3.reply({ kind: 'error' });
    const before = s3.requests();
    // Act
    const outcome = failed(await invoke(handler, { action: 'migrate', bundle: bundle.ref }));
    // Assess
    expect(outcome.errorType).toBe('BUNDLE_FETCH_FAILED');
    expect(outcome.error.message).toContain('InternalError (HTTP 500)');
    expect(outcome.error.remedy).toContain('run again');
    expect(s3.requests() - before).toBe(3);
    await expectUntouchedThenRecovered(outcome);
  });

  it('reports a body cut short (the connection closed) as BUNDLE_FETCH_FAILED', async () => {
    // Prepare
    s3.reply({ kind: 'cut', body: bundle.bytes });
    // Act
    const outcome = failed(await invoke(handler, { action: 'migrate', bundle: bundle.ref }));
    // Assess
    expect(outcome.errorType).toBe('BUNDLE_FETCH_FAILED');
    expect(outcome.error.message).toContain(`the download broke off after ${Math.floor(bundle.bytes.length / 2)} bytes`);
    await expectUntouchedThenRecovered(outcome);
  });

  it('gives up on a body that stops arriving (the connection stays open) after the idle limit', async () => {
    // Prepare: the handler's client waits 30 s; the same client with a short limit shows the behaviour
    s3.reply({ kind: 'stall', body: bundle.bytes });
    const client = createS3Client({ region: 'us-east-1', endpoint: s3.endpoint, credentials: { accessKeyId: 'FAKE', secretAccessKey: 'FAKE' }, idleTimeoutMs: 300 });
    const deps = {
      source: new S3BundleSource(client, bundle.ref, new BundleCache()),
      db: new PgMigrationDatabase({ connectionString: fdb.url }),
      logger: new MemoryLogger(),
      clock: { now: () => Date.now() },
    };
    // Act
    const started = Date.now();
    const error = await failure(runMigrations(deps, { action: 'migrate', actor: 'test' }, TEST_SETTINGS));
    client.destroy();
    // Assess
    expect(error.code).toBe('BUNDLE_FETCH_FAILED');
    expect(error.message).toMatch(/broke off after \d+ bytes \(.*timed out after 300 ms/);
    expect(Date.now() - started).toBeLessThan(3_000);
    await expectUntouchedThenRecovered([error, deps.logger.events]);
  });

  it('refuses a body whose Content-Length is over the limit without reading it', async () => {
    // Prepare
    s3.reply({ kind: 'huge', bytes: MAX_BUNDLE_BYTES + 1 });
    // Act
    const outcome = failed(await invoke(handler, { action: 'migrate', bundle: bundle.ref }));
    // Assess
    expect(outcome.errorType).toBe('BUNDLE_INVALID');
    expect(outcome.error.message).toContain(`it is ${MAX_BUNDLE_BYTES + 1} bytes; the limit is ${MAX_BUNDLE_BYTES}`);
    await expectUntouchedThenRecovered(outcome);
  });

  it('refuses a whole, valid bundle that is not the one requested (wrong hash)', async () => {
    // Prepare
    const other = bundleOf({ ...filesOf(steps), 'fault/0004_step.sql': 'DROP TABLE customer;' });
    s3.reply({ kind: 'ok', body: other.bytes });
    // Act
    const outcome = failed(await invoke(handler, { action: 'migrate', bundle: bundle.ref }));
    // Assess
    expect(outcome.errorType).toBe('BUNDLE_INTEGRITY');
    expect(outcome.error.details).toMatchObject({ expected: bundle.ref.sha256, actual: other.ref.sha256 });
    await expectUntouchedThenRecovered(outcome);
  });
});
