import { Signer } from '@aws-sdk/rds-signer';
import type pg from 'pg';
import { credentialsConnection, iamConnection, urlConnection, type TokenSigner } from '../../lib/adapters/lambda/connections';
import type { IamDatabase, SecretDatabase } from '../../lib/adapters/lambda/environment-database';
import type { LambdaConfig } from '../../lib/adapters/lambda/environment';
import { readSecretCredentials, type SecretReader } from '../../lib/adapters/lambda/secret-credentials';
import { withLambdaDatabase, type CredentialClients } from '../../lib/adapters/lambda/with-lambda-database';
import { CredentialsUnavailableError, DatabaseAuthFailedError, MigrationRunnerError } from '../../lib/core/errors';
import { FakeSecrets } from '../support/fake-secrets';
import { MemoryLogger } from '../support/workspace';
import { failure } from '../support/failure';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf';
const PASSWORD = 'correct-horse-battery-staple';
const SECRET: SecretDatabase = { kind: 'secret', secretArn: ARN, region: 'eu-west-1', overrides: {}, tls: 'verify' };
const IAM: IamDatabase = { kind: 'iam', host: 'db.cluster-x.eu-west-1.rds.amazonaws.com', port: 5432, database: 'app', user: 'migrator', region: 'eu-west-1' };

const rdsSecret = (password = PASSWORD): Record<string, unknown> => ({ username: 'app', password, host: 'db.internal', port: 5432, dbname: 'app', engine: 'postgres' });

function configWith(database: LambdaConfig['database']): LambdaConfig {
  return { database, schema: 'stagegate', settings: { lockWaitMs: 1_000, lockTimeoutMs: 1_000, statementTimeoutMs: 1_000 }, safetyMarginMs: 0, s3Endpoint: null, region: null, stage: null, stageOrder: null };
}

const clientsWith = (secrets: SecretReader, signer?: TokenSigner): CredentialClients => ({
  secrets: () => secrets,
  signer: () => signer ?? { getAuthToken: () => Promise.reject(new Error('no IAM in this test')) },
});

describe('Function: readSecretCredentials', () => {
  it('reads an RDS secret', async () => {
    // Prepare
    const secrets = new FakeSecrets([rdsSecret()]);
    // Act
    const credentials = await readSecretCredentials(secrets, SECRET);
    // Assess
    expect(credentials).toEqual({ host: 'db.internal', port: 5432, database: 'app', user: 'app', password: PASSWORD });
    expect(secrets.requests).toEqual([ARN]);
  });

  it('completes an RDS-managed secret (username and password only) from DB_HOST, DB_PORT and DB_NAME', async () => {
    // Prepare
    const secrets = new FakeSecrets([{ username: 'app', password: PASSWORD }]);
    const settings: SecretDatabase = { ...SECRET, overrides: { host: 'proxy.internal', port: 6432, database: 'orders' } };
    // Act
    const credentials = await readSecretCredentials(secrets, settings);
    // Assess
    expect(credentials).toEqual({ host: 'proxy.internal', port: 6432, database: 'orders', user: 'app', password: PASSWORD });
  });

  it('lists what the secret lacks without repeating any value', async () => {
    // Prepare
    const secrets = new FakeSecrets([{ password: PASSWORD, port: 'many', engine: 'mysql' }]);
    // Act
    const error = await failure(readSecretCredentials(secrets, SECRET));
    // Assess
    expect(error).toBeInstanceOf(CredentialsUnavailableError);
    expect(error.message).toBe(
      `The database credentials could not be obtained from the secret ${ARN}: the secret does not hold usable RDS credentials: ` +
        '"port" is not a port number; "username" is missing; "host" is missing and DB_HOST is not set; "dbname" is missing and DB_NAME is not set; "engine" is mysql, not PostgreSQL',
    );
    expect(JSON.stringify(error.toJSON())).not.toContain(PASSWORD);
  });

  it.each([
    [`{"password": "${PASSWORD}"`, 'the secret value is not JSON'],
    [`["${PASSWORD}"]`, 'the secret value is not a JSON object'],
  ])('says what is wrong with a malformed secret, never quoting it', async (text, reason) => {
    // Prepare
    const secrets = new FakeSecrets([text]);
    // Act
    const error = await failure(readSecretCredentials(secrets, SECRET));
    // Assess
    expect(error.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(error.message).toContain(reason);
    expect(JSON.stringify(error.toJSON())).not.toContain(PASSWORD);
  });

  it('names the secret and the service error when it cannot be read', async () => {
    // Prepare
    const denied = Object.assign(new Error('User is not authorized to perform secretsmanager:GetSecretValue'), { name: 'AccessDeniedException' });
    const secrets = new FakeSecrets([denied]);
    // Act
    const error = await failure(readSecretCredentials(secrets, SECRET));
    // Assess
    expect(error.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(error.message).toBe(`The database credentials could not be obtained from the secret ${ARN}: AccessDeniedException: User is not authorized to perform secretsmanager:GetSecretValue`);
    expect(error.details).toEqual({ secretArn: ARN, reason: 'AccessDeniedException: User is not authorized to perform secretsmanager:GetSecretValue' });
    expect(error.remedy).toContain('secretsmanager:GetSecretValue');
  });
});

describe('Function: withLambdaDatabase with a secret', () => {
  it('reads the secret again and runs once more when the server refuses it', async () => {
    // Prepare
    const secrets = new FakeSecrets([rdsSecret('old-password'), rdsSecret()]);
    const logger = new MemoryLogger();
    const attempts: string[] = [];
    // Act
    const result = await withLambdaDatabase(configWith(SECRET), { clients: clientsWith(secrets), logger }, async (_db, target) => {
      attempts.push(target);
      if (attempts.length === 1) throw new DatabaseAuthFailedError(target, 'app', 'password authentication failed for user "app"');
      return 'done';
    });
    // Assess
    expect(result).toBe('done');
    expect(secrets.requests).toEqual([ARN, ARN]);
    expect(attempts).toEqual(['app@db.internal:5432/app', 'app@db.internal:5432/app']);
    expect(logger.events.filter((e) => e.level === 'warn').map((e) => e.event)).toEqual(['credentials.rejected']);
    expect(JSON.stringify(logger.events)).not.toMatch(/old-password|correct-horse/);
  });

  it('retries only once', async () => {
    // Prepare
    const secrets = new FakeSecrets([rdsSecret('old-password')]);
    let calls = 0;
    // Act
    const error = await failure(
      withLambdaDatabase(configWith(SECRET), { clients: clientsWith(secrets), logger: new MemoryLogger() }, async (_db, target) => {
        calls += 1;
        throw new DatabaseAuthFailedError(target, 'app', 'password authentication failed for user "app"');
      }),
    );
    // Assess
    expect(error.code).toBe('DATABASE_AUTH_FAILED');
    expect(calls).toBe(2);
    expect(secrets.requests).toHaveLength(2);
  });

  it('does not retry other failures, and says which database they were about', async () => {
    // Prepare
    const secrets = new FakeSecrets([rdsSecret()]);
    let calls = 0;
    // Act
    const error = await failure(
      withLambdaDatabase(configWith(SECRET), { clients: clientsWith(secrets), logger: new MemoryLogger() }, async () => {
        calls += 1;
        throw new MigrationRunnerError('LOCK_TIMEOUT', 'Another run holds the lock.', { remedy: 'Wait.' });
      }),
    );
    // Assess
    expect(calls).toBe(1);
    expect(secrets.requests).toHaveLength(1);
    expect(error.details.target).toBe('app@db.internal:5432/app');
  });
});

describe('Function: iamConnection', () => {
  afterEach(() => jest.useRealTimers());

  it('signs a fresh token for every connection, with TLS verified', async () => {
    // Prepare: a real signer with static credentials signs locally, without the network
    const signer = new Signer({ hostname: IAM.host, port: IAM.port, username: IAM.user, region: IAM.region, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI' } });
    const { connection, target } = iamConnection(IAM, signer);
    const connect = connection as () => Promise<pg.ClientConfig>;
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance'] });
    jest.setSystemTime(new Date('2026-03-01T10:00:00Z'));
    // Act
    const first = await connect();
    jest.setSystemTime(new Date('2026-03-01T10:14:00Z'));
    const second = await connect();
    // Assess
    expect(target).toBe('migrator@db.cluster-x.eu-west-1.rds.amazonaws.com:5432/app');
    for (const config of [first, second]) {
      expect(config).toMatchObject({ host: IAM.host, port: 5432, database: 'app', user: 'migrator', ssl: { rejectUnauthorized: true } });
      expect(config.password).toMatch(new RegExp(`^${IAM.host.replace(/\./g, '\\.')}:5432/\\?Action=connect&DBUser=migrator&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F\\d{8}%2Feu-west-1%2Frds-db%2Faws4_request`));
    }
    expect(first.password).toContain('X-Amz-Date=20260301T100000Z');
    expect(second.password).toContain('X-Amz-Date=20260301T101400Z');
    expect(second.password).not.toBe(first.password);
  });

  it('reports a token that cannot be signed as CREDENTIALS_UNAVAILABLE, even through the Postgres adapter', async () => {
    // Prepare: no network is touched, the factory fails before any connection
    const signer: TokenSigner = { getAuthToken: () => Promise.reject(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })) };
    // Act
    const error = await failure(
      withLambdaDatabase(configWith(IAM), { clients: clientsWith(new FakeSecrets([]), signer), logger: new MemoryLogger() }, (db) =>
        db.withReader((reader) => reader.readLedger()),
      ),
    );
    // Assess
    expect(error).toBeInstanceOf(CredentialsUnavailableError);
    expect(error.message).toBe(
      'The database credentials could not be obtained from an RDS IAM token for migrator@db.cluster-x.eu-west-1.rds.amazonaws.com:5432/app: CredentialsProviderError: Could not load credentials from any providers',
    );
  });
});

describe('Connection settings', () => {
  it('describes a secret-based connection without its password and applies the TLS mode', async () => {
    // Prepare
    const credentials = { host: 'db.internal', port: 5432, database: 'app', user: 'app', password: PASSWORD };
    // Act
    const verified = credentialsConnection(credentials, 'verify');
    const plain = credentialsConnection(credentials, 'disable');
    // Assess
    expect(verified.target).toBe('app@db.internal:5432/app');
    expect(await (verified.connection as () => Promise<pg.ClientConfig>)()).toEqual({ ...credentials, ssl: { rejectUnauthorized: true } });
    expect(await (plain.connection as () => Promise<pg.ClientConfig>)()).toMatchObject({ ssl: false });
  });

  it('leaves a URL as written unless STAGEGATE_DB_TLS says otherwise', async () => {
    // Prepare
    const url = `postgres://app:${PASSWORD}@db.internal:5432/app`;
    // Act
    const asWritten = urlConnection({ kind: 'url', url, tls: 'url' });
    const verified = urlConnection({ kind: 'url', url, tls: 'verify' });
    // Assess
    expect(asWritten).toEqual({ connection: url, target: 'app@db.internal:5432/app' });
    expect(await (verified.connection as () => Promise<pg.ClientConfig>)()).toEqual({ connectionString: url, ssl: { rejectUnauthorized: true } });
  });
});
