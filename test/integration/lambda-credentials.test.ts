import type { LambdaConfig } from '../../lib/adapters/lambda/environment';
import { withLambdaDatabase, type CredentialClients } from '../../lib/adapters/lambda/with-lambda-database';
import { decodeBundle, encodeBundle } from '../../lib/core/bundle-format';
import { buildCatalog } from '../../lib/core/catalog';
import { MigrationRunnerError } from '../../lib/core/errors';
import type { BundleSource } from '../../lib/ports';
import { runMigrations } from '../../lib/run';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FakeSecrets } from '../support/fake-secrets';
import { MemoryLogger, TEST_SETTINGS } from '../support/workspace';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:test/db-AbCdEf';

function memorySource(files: Record<string, string>): BundleSource {
  const { bytes, id } = encodeBundle(buildCatalog(Object.entries(files).map(([path, content]) => ({ path, content }))));
  return { load: async () => decodeBundle(bytes, 'memory', id) };
}

describe('Integration: Secrets Manager credentials against a real PostgreSQL', () => {
  let db: TestDatabase;
  let config: LambdaConfig;
  let secretFor: (password: string) => Record<string, unknown>;
  beforeEach(async () => {
    db = await createTestDatabase();
    const url = new URL(db.url);
    secretFor = (password) => ({ username: url.username, password, host: url.hostname, port: Number(url.port), dbname: db.name, engine: 'postgres' });
    config = {
      database: { kind: 'secret', secretArn: ARN, region: 'us-east-1', overrides: {}, tls: 'disable' },
      schema: 'stagegate',
      settings: TEST_SETTINGS,
      safetyMarginMs: 0,
      s3Endpoint: null,
      region: null,
      stage: null,
      stageOrder: null,
    };
  });
  afterEach(() => db.drop());

  const clientsWith = (secrets: FakeSecrets): CredentialClients => ({
    secrets: () => secrets,
    signer: () => ({ getAuthToken: () => Promise.reject(new Error('no IAM in this test')) }),
  });

  it('re-reads a rotated secret after the server refuses the old password, and the whole run succeeds once', async () => {
    // Prepare
    const secrets = new FakeSecrets([secretFor('rotated-away-7c2d'), secretFor(new URL(db.url).password)]);
    const logger = new MemoryLogger();
    const source = memorySource({ 'app/0001_init.sql': 'CREATE TABLE rotated (id int);' });
    // Act
    const result = await withLambdaDatabase(config, { clients: clientsWith(secrets), logger }, (database) =>
      runMigrations({ source, db: database, logger, clock: { now: () => Date.now() } }, { action: 'migrate', actor: 'test' }, TEST_SETTINGS),
    );
    // Assess
    expect(result).toMatchObject({ status: 'applied', applied: [{ id: 'app/0001_init' }] });
    expect(secrets.requests).toEqual([ARN, ARN]);
    expect(logger.events.find((e) => e.event === 'credentials.rejected')).toMatchObject({ level: 'warn', data: { secretArn: ARN } });
    expect(await db.query('select outcome from stagegate.runs')).toEqual([{ outcome: 'succeeded' }]);
    expect(JSON.stringify(logger.events)).not.toContain('rotated-away-7c2d');
  });

  it('gives up after one retry with DATABASE_AUTH_FAILED, never showing a password', async () => {
    // Prepare
    const secrets = new FakeSecrets([secretFor('wrong-one-51aa'), secretFor('wrong-two-93bf')]);
    // Act
    let error: unknown;
    try {
      await withLambdaDatabase(config, { clients: clientsWith(secrets), logger: new MemoryLogger() }, (database) => database.withReader((reader) => reader.readLedger()));
    } catch (caught) {
      error = caught;
    }
    // Assess
    expect(error).toBeInstanceOf(MigrationRunnerError);
    const failure = error as MigrationRunnerError;
    expect(failure.code).toBe('DATABASE_AUTH_FAILED');
    expect(secrets.requests).toHaveLength(2);
    expect(failure.details.target).toBe(`${new URL(db.url).username}@127.0.0.1:${new URL(db.url).port}/${db.name}`);
    const shown = `${failure.message}\n${failure.remedy}\n${JSON.stringify(failure.toJSON())}`;
    for (const password of ['wrong-one-51aa', 'wrong-two-93bf', new URL(db.url).password]) expect(shown).not.toContain(password);
  });
});
