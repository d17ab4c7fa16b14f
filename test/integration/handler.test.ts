import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { handler } from '../../handlers/migrate';
import { publishBundle } from '../../lib/adapters/s3/publish-bundle';
import { describeConnection } from '../../lib/adapters/postgres';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { lambdaContext, TEST_FUNCTION_NAME } from '../support/lambda-context';
import { captureOutput, failed, functionEnv, invoke, publishMigrations, setEnv, succeeded, type CapturedOutput } from '../support/lambda-invoke';
import { editV2 } from '../support/bundle-edit';
import { S3_CREDENTIALS, useS3 } from '../support/s3';

const BUCKET = 'stagegate-deploys';
const TWO = {
  'app/0001_init.sql': 'CREATE TABLE widget (id bigserial PRIMARY KEY, name text NOT NULL);',
  'app/0002_colour.sql': "ALTER TABLE widget ADD COLUMN colour text NOT NULL DEFAULT 'red';",
};

describe('Integration: the migrate handler with real PostgreSQL and S3 over HTTP', () => {
  let db: TestDatabase;
  let output: CapturedOutput;
  let restoreEnv: () => void;

  const s3 = useS3(BUCKET);
  beforeEach(async () => {
    db = await createTestDatabase();
    restoreEnv = setEnv(
      functionEnv(s3.endpoint, S3_CREDENTIALS, { DATABASE_URL: db.url, STAGEGATE_STAGE: 'test', STAGEGATE_SAFETY_MARGIN_MS: '500', STAGEGATE_LOCK_WAIT_MS: '20s' }),
    );
    output = captureOutput();
  });
  afterEach(async () => {
    output.restore();
    restoreEnv();
    await db.drop();
  });

  const ledger = async (): Promise<string[]> => (await db.query<{ id: string }>("select id from stagegate.migrations where state = 'applied' order by id")).map((r) => r.id);
  const ledgerExists = async (): Promise<boolean> => (await db.query<{ t: string | null }>("select to_regclass('stagegate.runs')::text as t"))[0]?.t !== null;

  it('applies the pending migrations, returns the --json result with its target, then reports up to date', async () => {
    // Prepare
    const { ref } = await publishMigrations(s3.client, BUCKET, TWO);
    const context = lambdaContext();
    // Act
    const first = succeeded(await invoke(handler, { action: 'migrate', bundle: ref }, context));
    const second = succeeded(await invoke(handler, { action: 'migrate', bundle: ref }));
    // Assess
    expect(first).toMatchObject({ ok: true, action: 'migrate', bundleId: ref.sha256, status: 'applied', pending: [], target: describeConnection(db.url) });
    expect(first.applied.map((a) => a.id)).toEqual(['app/0001_init', 'app/0002_colour']);
    expect(second).toMatchObject({ status: 'up-to-date', applied: [], pending: [] });
    const rows = await db.query<{ applied_by: string }>('select applied_by from stagegate.migrations');
    expect(rows.map((r) => r.applied_by)).toEqual([`lambda:${TEST_FUNCTION_NAME}:${context.awsRequestId}`, `lambda:${TEST_FUNCTION_NAME}:${context.awsRequestId}`]);
    expect(await db.query('select outcome from stagegate.runs')).toEqual([{ outcome: 'succeeded' }]);
    const applied = output.records().filter((r) => r.message === 'migration.applied');
    expect(applied.map((r) => r.id)).toEqual(['app/0001_init', 'app/0002_colour']);
    expect(applied[0]).toMatchObject({ level: 'INFO', service: 'stagegate', function_request_id: context.awsRequestId, bundle: ref.sha256, stage: 'test' });
    expect(typeof applied[0]?.durationMs).toBe('number');
    expect(output.records().filter((r) => r.message === 'invocation.completed').map((r) => r.status)).toEqual(['applied', 'up-to-date']);
    expect(output.text()).not.toContain(new URL(db.url).password);
  });

  it('plans and shows status without changing anything', async () => {
    // Prepare
    const { ref } = await publishMigrations(s3.client, BUCKET, TWO);
    // Act
    const plan = succeeded(await invoke(handler, { action: 'plan', bundle: ref }));
    const before = succeeded(await invoke(handler, { action: 'status', bundle: ref }));
    succeeded(await invoke(handler, { action: 'migrate', bundle: ref }));
    const after = succeeded(await invoke(handler, { action: 'status', bundle: ref }));
    // Assess
    expect(plan).toMatchObject({ action: 'plan', status: 'pending', pending: ['app/0001_init', 'app/0002_colour'] });
    expect(plan.plan?.map((s) => [s.id, s.kind])).toEqual([['app/0001_init', 'apply'], ['app/0002_colour', 'apply']]);
    expect(before.migrations?.map((m) => m.state)).toEqual(['pending', 'pending']);
    expect(after).toMatchObject({ action: 'status', status: 'up-to-date' });
    expect(after.migrations?.map((m) => m.state)).toEqual(['applied', 'applied']);
  });

  it('stops at the deadline, cancelling a later migration that cannot finish, and the next invocation finishes', async () => {
    // Prepare: 1 s usable (1.5 s left minus the 0.5 s margin); the second migration takes 1.2 s in four statements
    const { ref } = await publishMigrations(s3.client, BUCKET, {
      'app/0001_table.sql': 'CREATE TABLE before_the_break (id int);',
      'app/0002_slow.sql': 'SELECT pg_sleep(0.3);\nSELECT pg_sleep(0.3);\nSELECT pg_sleep(0.3);\nSELECT pg_sleep(0.3);\nCREATE TABLE after_the_break (id int);',
    });
    succeeded(await invoke(handler, { action: 'plan', bundle: ref })); // warms the bundle cache and the clients
    // Act
    const first = succeeded(await invoke(handler, { action: 'migrate', bundle: ref }, lambdaContext({ remainingMs: 1_500 })));
    const second = succeeded(await invoke(handler, { action: 'migrate', bundle: ref }, lambdaContext({ remainingMs: 60_000 })));
    // Assess
    expect(first).toMatchObject({ status: 'incomplete', pending: ['app/0002_slow'] });
    expect(first.applied.map((a) => a.id)).toEqual(['app/0001_table']);
    expect(output.records().find((r) => r.message === 'run.stopped')).toMatchObject({ level: 'WARN', next: 'app/0002_slow', rolledBack: true });
    expect(second).toMatchObject({ status: 'applied', pending: [] });
    expect(second.applied.map((a) => a.id)).toEqual(['app/0002_slow']);
    expect(await db.query('select outcome from stagegate.runs order by id')).toEqual([{ outcome: 'incomplete' }, { outcome: 'succeeded' }]);
  });

  it('goes back to a target across two apps, cancelling a reverse step at the deadline and keeping the target', async () => {
    // Prepare: member depends on org/0002; reverting org/0002 after it takes 1.2 s of a 1 s budget: cancelled, rolled back
    const { ref } = await publishMigrations(s3.client, BUCKET, {
      'org/0001_init.sql': 'CREATE TABLE org (id int PRIMARY KEY);',
      'org/0001_init.down.sql': 'DROP TABLE org;',
      'org/0002_name.sql': 'ALTER TABLE org ADD COLUMN name text;',
      'org/0002_name.down.sql': 'SELECT pg_sleep(0.3);\nSELECT pg_sleep(0.3);\nSELECT pg_sleep(0.3);\nSELECT pg_sleep(0.3);\nALTER TABLE org DROP COLUMN name;',
      'member/0001_init.sql': '-- stagegate:depends-on org/0002_name\nCREATE TABLE member (org_id int REFERENCES org (id));',
      'member/0001_init.down.sql': 'DROP TABLE member;',
    });
    succeeded(await invoke(handler, { action: 'migrate', bundle: ref }));
    const target = 'org/0001_init';
    // Act
    const plan = succeeded(await invoke(handler, { action: 'plan', bundle: ref, target }));
    const first = succeeded(await invoke(handler, { action: 'migrate', bundle: ref, target }, lambdaContext({ remainingMs: 1_500 })));
    const second = succeeded(await invoke(handler, { action: 'migrate', bundle: ref, target }, lambdaContext({ remainingMs: 60_000 })));
    const refused = failed(await invoke(handler, { action: 'status', bundle: ref, target }));
    // Assess
    expect(plan).toMatchObject({ status: 'pending', to: target, pending: ['member/0001_init', 'org/0002_name'] });
    expect(plan.plan?.map((s) => s.kind)).toEqual(['revert', 'revert']);
    expect(first).toMatchObject({ status: 'incomplete', to: target, reverted: [{ id: 'member/0001_init' }], pending: ['org/0002_name'] });
    expect(second).toMatchObject({ status: 'reverted', to: target, reverted: [{ id: 'org/0002_name' }], pending: [] });
    expect(await ledger()).toEqual(['org/0001_init']);
    const runs = await db.query<{ outcome: string; reverted: string[] }>('select outcome, reverted from stagegate.runs order by id');
    expect(runs.slice(1)).toEqual([{ outcome: 'incomplete', reverted: ['member/0001_init'] }, { outcome: 'succeeded', reverted: ['org/0002_name'] }]);
    expect(output.records().filter((r) => r.message === 'migration.reverted').map((r) => [r.id, r.to])).toEqual([['member/0001_init', target], ['org/0002_name', target]]);
    expect(refused.errorType).toBe('EVENT_INVALID');
  });

  it('caps statement_timeout to the time left, so a migration cannot outlive the invocation', async () => {
    // Prepare
    const { ref } = await publishMigrations(s3.client, BUCKET, { 'app/0001_endless.sql': 'CREATE TABLE half (id int);\nSELECT pg_sleep(30);' });
    const context = lambdaContext({ remainingMs: 2_500 });
    // Act
    const error = failed(await invoke(handler, { action: 'migrate', bundle: ref }, context));
    // Assess: it ended before Lambda would have stopped it
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(error.errorType).toBe('MIGRATION_FAILED');
    expect(error.error.details).toMatchObject({ file: 'app/0001_endless.sql', line: 2, sqlstate: '57014' });
    expect(await db.query("select to_regclass('public.half') as t")).toEqual([{ t: null }]);
  });

  it('answers a drift event: DRIFT_DETECTED naming the object, then accepts it with the reason', async () => {
    // Prepare
    const { ref } = await publishMigrations(s3.client, BUCKET, TWO);
    const context = lambdaContext();
    succeeded(await invoke(handler, { action: 'migrate', bundle: ref }));
    await db.query('ALTER TABLE widget ADD COLUMN by_hand integer');
    // Act
    const shown = failed(await invoke(handler, { action: 'drift', bundle: ref }));
    const accepted = (await invoke(handler, { action: 'drift', bundle: ref, accept: { reason: 'hotfix on the stage' } }, context)) as unknown as { ok: true; result: Record<string, unknown> };
    const clean = await invoke(handler, { action: 'drift', bundle: ref });
    // Assess
    expect(shown.errorType).toBe('DRIFT_DETECTED');
    expect(shown.errorMessage).toContain('column public.widget.by_hand added outside migrations (integer)');
    expect(accepted.result).toMatchObject({ ok: true, action: 'drift', reason: 'hotfix on the stage', accepted: [{ name: 'public.widget.by_hand' }], target: describeConnection(db.url) });
    expect(clean.ok).toBe(true);
    const runs = await db.query<{ actor: string; details: { reason: string } }>("select actor, details from stagegate.runs where action = 'drift-accept'");
    expect(runs).toEqual([{ actor: `lambda:${TEST_FUNCTION_NAME}:${context.awsRequestId}`, details: expect.objectContaining({ reason: 'hotfix on the stage' }) }]);
  });

  it('lets a duplicated invocation wait for the lock and find nothing to do', async () => {
    // Prepare
    const { ref } = await publishMigrations(s3.client, BUCKET, { ...TWO, 'app/0001_init.sql': `SELECT pg_sleep(0.5);\n${TWO['app/0001_init.sql']}` });
    const event = { action: 'migrate', bundle: ref };
    // Act
    const outcomes = await Promise.all([invoke(handler, event), invoke(handler, event)]);
    // Assess
    const results = outcomes.map(succeeded);
    expect(results.map((r) => r.status).sort()).toEqual(['applied', 'up-to-date']);
    expect(results.flatMap((r) => r.applied.map((a) => a.id))).toEqual(['app/0001_init', 'app/0002_colour']);
    expect(await ledger()).toEqual(['app/0001_init', 'app/0002_colour']);
    expect(await db.query('select outcome from stagegate.runs')).toEqual([{ outcome: 'succeeded' }]);
  });

  it('refuses a bundle whose object was overwritten, and runs nothing', async () => {
    // Prepare
    const { ref } = await publishMigrations(s3.client, BUCKET, TWO);
    const other = await publishMigrations(s3.client, BUCKET, TWO);
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: ref.key, Body: other.bytes }));
    // Act
    const error = failed(await invoke(handler, { action: 'migrate', bundle: ref }));
    // Assess
    expect(error.errorType).toBe('BUNDLE_INTEGRITY');
    expect(error.error.details).toMatchObject({ expected: ref.sha256, actual: other.ref.sha256 });
    expect(await ledgerExists()).toBe(false);
  });

  it('refuses a key that does not name the requested sha256, even for a bundle verified while warm, and runs nothing', async () => {
    // Prepare: the bundle verified once, and its bytes copied under a key of another name
    const { ref, bytes } = await publishMigrations(s3.client, BUCKET, TWO);
    const copy = 'stagegate/bundles/latest.json.gz';
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: copy, Body: bytes }));
    const wrongId = { ...ref, key: `stagegate/bundles/${'e'.repeat(64)}.json.gz` };
    // Act
    const errors = [failed(await invoke(handler, { action: 'migrate', bundle: { ...ref, key: copy } }))];
    succeeded(await invoke(handler, { action: 'status', bundle: ref }));
    errors.push(failed(await invoke(handler, { action: 'migrate', bundle: wrongId })));
    // Assess
    for (const error of errors) {
      expect(error.errorType).toBe('EVENT_INVALID');
      expect(error.error.details.problems).toEqual([{ field: 'bundle.key', problem: expect.stringContaining('<prefix>/bundles/<sha256>.json.gz') }]);
    }
    expect(await ledgerExists()).toBe(false);
  });

  it('reports a missing bundle, and runs nothing', async () => {
    // Prepare
    const sha256 = 'f'.repeat(64);
    // Act
    const error = failed(await invoke(handler, { action: 'migrate', bundle: { bucket: BUCKET, key: `stagegate/bundles/${sha256}.json.gz`, sha256 } }));
    // Assess
    expect(error.errorType).toBe('BUNDLE_NOT_FOUND');
    expect(error.error.message).toBe(`The bundle s3://${BUCKET}/stagegate/bundles/${sha256}.json.gz does not exist.`);
    expect(await ledgerExists()).toBe(false);
  });

  it('refuses a bundle whose recorded checksums do not match its SQL, runs nothing, and records the refusal', async () => {
    // Prepare: edit a checksum inside a real bundle, then publish it under its true sha256
    const original = await publishMigrations(s3.client, BUCKET, TWO);
    const bytes = editV2(original.bytes, (header) => {
      header.checksums[1] = `v1:${'0'.repeat(64)}`;
    });
    const bundleId = createHash('sha256').update(bytes).digest('hex');
    const ref = await publishBundle(s3.client, { bucket: BUCKET, prefix: 'stagegate', bytes, bundleId });
    // Act
    const error = failed(await invoke(handler, { action: 'migrate', bundle: { bucket: ref.bucket, key: ref.key, sha256: ref.sha256 } }));
    // Assess
    expect(error.errorType).toBe('BUNDLE_INVALID');
    expect(error.error.message).toContain('the checksum of app/0002_colour does not match its SQL');
    // The bundle is pinned by its hash, so its claims are checked for what would run, once the
    // ledger says what that is: under the lock, before any migration, and the refusal is kept.
    expect(await ledger()).toEqual([]);
    expect(await db.query("select to_regclass('widget')::text as t")).toEqual([{ t: null }]);
    expect(await db.query('select outcome, error ->> \'code\' as code from stagegate.runs')).toEqual([{ outcome: 'failed', code: 'BUNDLE_INVALID' }]);
  });

  it.each([
    ['wrong types', { action: 'migrate', bundle: { bucket: BUCKET, key: 42, sha256: 'x' } }, ['bundle.key', 'bundle.sha256']],
    ['unknown fields', { action: 'migrate', bundle: { bucket: BUCKET, key: `stagegate/bundles/${'a'.repeat(64)}.json.gz`, sha256: 'a'.repeat(64), region: 'x' }, force: true }, ['bundle.region', 'force']],
    ['missing fields', { bundle: { bucket: BUCKET } }, ['action', 'bundle.key', 'bundle.sha256']],
    ['huge strings', { action: 'migrate', bundle: { bucket: 'b'.repeat(100_000), key: 'k'.repeat(100_000), sha256: 'a'.repeat(64) } }, ['bundle.bucket', 'bundle.key']],
  ])('refuses an event with %s, naming each field', async (_case, event, fields) => {
    // Act
    const error = failed(await invoke(handler, event));
    // Assess
    expect(error.errorType).toBe('EVENT_INVALID');
    expect((error.error.details.problems as { field: string }[]).map((p) => p.field)).toEqual(fields);
    for (const field of fields) expect(error.errorMessage).toContain(`  - ${field}: `);
    expect(error.errorMessage.length).toBeLessThan(4_096);
    expect(await ledgerExists()).toBe(false);
  });

  it('reports a refused password without ever showing it', async () => {
    // Prepare
    const { ref } = await publishMigrations(s3.client, BUCKET, TWO);
    const url = new URL(db.url);
    url.password = 'not-the-password-4f1c9e';
    process.env.DATABASE_URL = url.toString();
    // Act
    const outcome = await invoke(handler, { action: 'migrate', bundle: ref });
    // Assess
    const error = failed(outcome);
    expect(error.errorType).toBe('DATABASE_AUTH_FAILED');
    expect(error.error.details.target).toBe(describeConnection(db.url));
    expect(output.records().find((r) => r.message === 'invocation.failed')).toMatchObject({ level: 'ERROR', code: 'DATABASE_AUTH_FAILED' });
    for (const secret of ['not-the-password-4f1c9e', new URL(db.url).password]) {
      expect(JSON.stringify(outcome)).not.toContain(secret);
      expect(output.text()).not.toContain(secret);
    }
  });

  it('reuses a verified bundle while warm, even after its object is gone', async () => {
    // Prepare
    const { ref } = await publishMigrations(s3.client, BUCKET, TWO);
    succeeded(await invoke(handler, { action: 'status', bundle: ref }));
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: ref.key }));
    await expect(s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: ref.key }))).rejects.toMatchObject({ name: 'NoSuchKey' });
    // Act
    const result = succeeded(await invoke(handler, { action: 'migrate', bundle: ref }));
    // Assess
    expect(result).toMatchObject({ status: 'applied', bundleId: ref.sha256 });
  });

  it('fails the invocation with MIGRATION_FAILED naming the file and line, keeping what was applied before', async () => {
    // Prepare
    const { ref } = await publishMigrations(s3.client, BUCKET, {
      'app/0001_init.sql': TWO['app/0001_init.sql'],
      'app/0002_broken.sql': "INSERT INTO widget (name) VALUES ('a');\nINSERT INTO widget (name) VALUES ('b');\nSELECT nope FROM widget;",
    });
    // Act
    const error = failed(await invoke(handler, { action: 'migrate', bundle: ref }));
    // Assess
    expect(error.errorType).toBe('MIGRATION_FAILED');
    expect(error.error.code).toBe('MIGRATION_FAILED');
    expect(error.errorMessage.split('\n')[0]).toBe('Migration app/0002_broken failed at app/0002_broken.sql:3:8: column "nope" does not exist [SQLSTATE 42703]');
    expect(error.error.remedy).toContain('rolled back');
    expect(error.error.details).toMatchObject({ migration: 'app/0002_broken', file: 'app/0002_broken.sql', line: 3, bundleId: ref.sha256, applied: [{ id: 'app/0001_init' }] });
    expect(await ledger()).toEqual(['app/0001_init']);
    expect(await db.query('select count(*)::int as n from widget')).toEqual([{ n: 0 }]);
    expect(await db.query('select outcome from stagegate.runs')).toEqual([{ outcome: 'failed' }]);
  });

  it('names the variables when no database is configured', async () => {
    // Prepare
    const { ref } = await publishMigrations(s3.client, BUCKET, TWO);
    delete process.env.DATABASE_URL;
    // Act
    const error = failed(await invoke(handler, { action: 'status', bundle: ref }));
    // Assess
    expect(error.errorType).toBe('CONFIG_INVALID');
    expect(error.errorMessage).toContain('STAGEGATE_DB_IAM, STAGEGATE_DB_SECRET_ARN, DATABASE_URL');
  });
});
