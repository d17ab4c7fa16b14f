import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { handler } from '../../handlers/migrate';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { captureOutput, failed, functionEnv, invoke, publishMigrations, setEnv, succeeded, type CapturedOutput } from '../support/lambda-invoke';
import { S3_CREDENTIALS, useS3 } from '../support/s3';

const BUCKET = 'stagegate-secrets';
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:stagegate-test-AbCdEf';

/** A Secrets Manager endpoint over HTTP that answers GetSecretValue with `current()`, in the RDS format. */
async function startSecretsEndpoint(current: () => Record<string, unknown>): Promise<{ url: string; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      requests.push((JSON.parse(body) as { SecretId: string }).SecretId);
      response.setHeader('content-type', 'application/x-amz-json-1.1');
      response.end(JSON.stringify({ ARN, Name: 'stagegate-test', SecretString: JSON.stringify(current()) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

describe('Integration: the migrate handler with its credentials from a Secrets Manager secret', () => {
  let db: TestDatabase;
  let output: CapturedOutput;
  let restoreEnv: () => void;
  let endpoint: Awaited<ReturnType<typeof startSecretsEndpoint>>;
  let role: { name: string; password: string };
  let served: () => string;

  const s3 = useS3(BUCKET);
  // One endpoint for the file: the function keeps its Secrets Manager client (and its endpoint) while warm.
  let secret: () => Record<string, unknown> = () => ({});
  beforeAll(async () => {
    endpoint = await startSecretsEndpoint(() => secret());
  });
  afterAll(() => new Promise((resolve) => endpoint.server.close(resolve)));
  beforeEach(async () => {
    endpoint.requests.length = 0;
    db = await createTestDatabase();
    // A role of its own whose password is full of characters that URLs, JSON and shells treat specially.
    role = { name: `secret_${randomBytes(4).toString('hex')}`, password: `p@ss:w/rd"#%?&'${randomBytes(6).toString('hex')}` };
    await db.query(`CREATE ROLE ${role.name} LOGIN PASSWORD '${role.password.replace(/'/g, "''")}'`);
    await db.query(`GRANT ALL ON DATABASE ${db.name} TO ${role.name}; GRANT ALL ON SCHEMA public TO ${role.name}`);
    served = () => role.password;
    const url = new URL(db.url);
    secret = () => ({ username: role.name, password: served(), host: url.hostname, port: Number(url.port), dbname: db.name, engine: 'postgres' });
    restoreEnv = setEnv({
      ...functionEnv(s3.endpoint, S3_CREDENTIALS, { STAGEGATE_STAGE: 'test', STAGEGATE_SAFETY_MARGIN_MS: '500', DATABASE_URL: undefined }),
      STAGEGATE_DB_SECRET_ARN: ARN,
      STAGEGATE_DB_TLS: 'disable',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint.url,
    });
    output = captureOutput();
  });
  afterEach(async () => {
    output.restore();
    restoreEnv();
    await db.query(`DROP OWNED BY ${role.name}; DROP ROLE ${role.name}`);
    await db.drop();
  });

  const leaks = (outcome: unknown, ...secrets: string[]): string[] =>
    secrets.filter((secret) => JSON.stringify(outcome).includes(secret) || output.text().includes(secret));

  it('applies, then fails a migration, naming the target as user@host:port/db and never the password', async () => {
    // Prepare
    const { ref } = await publishMigrations(s3.client, BUCKET, { 'app/0001_init.sql': 'CREATE TABLE widget (id int);', 'app/0002_broken.sql': 'SELECT nope FROM widget;' });
    // Act
    const outcome = await invoke(handler, { action: 'migrate', bundle: ref });
    // Assess
    const error = failed(outcome);
    expect(error.errorType).toBe('MIGRATION_FAILED');
    expect(error.error.details).toMatchObject({ migration: 'app/0002_broken', applied: [{ id: 'app/0001_init' }], target: expect.stringMatching(new RegExp(`^${role.name}@127\\.0\\.0\\.1:\\d+/${db.name}$`)) });
    expect(endpoint.requests).toEqual([ARN]);
    expect(leaks(outcome, role.password)).toEqual([]);
  });

  it('reads the secret again after the server refuses it, and reports DATABASE_AUTH_FAILED without either password', async () => {
    // Prepare: the secret holds a password the server does not accept
    const { ref } = await publishMigrations(s3.client, BUCKET, { 'app/0001_init.sql': 'CREATE TABLE widget (id int);' });
    const wrong = `Wr0ng:p@ss/"${randomBytes(6).toString('hex')}`;
    served = () => wrong;
    // Act
    const refused = await invoke(handler, { action: 'migrate', bundle: ref });
    served = () => role.password;
    const applied = succeeded(await invoke(handler, { action: 'migrate', bundle: ref }));
    // Assess
    expect(failed(refused).errorType).toBe('DATABASE_AUTH_FAILED');
    expect(endpoint.requests).toEqual([ARN, ARN, ARN]);
    expect(output.records().filter((r) => r.message === 'credentials.rejected')).toHaveLength(1);
    expect(applied).toMatchObject({ status: 'applied', target: expect.stringMatching(new RegExp(`^${role.name}@`)) });
    expect(leaks([refused, applied], wrong, role.password)).toEqual([]);
  });
});
