import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startOffline, type Offline } from '../support/offline';
import { S3_CREDENTIALS, startS3, type LocalS3 } from '../support/s3';

const ROOT = resolve(__dirname, '../..');
const SERVERLESS = join(ROOT, 'node_modules/serverless/bin/serverless.js');
/** The shim serverless.yml lists; it loads dist/plugin.cjs, which `npm test` builds first. */
const SHIM = join(ROOT, 'lib/plugin/index.cjs');

function runServerless(args: string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
    const child = spawn(process.execPath, [SERVERLESS, ...args], {
      cwd,
      env: { ...env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', SLS_INTERACTIVE_SETUP_DISABLE: '1', NO_COLOR: '1', FORCE_COLOR: '0', AWS_EC2_METADATA_DISABLED: 'true', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', fail);
    child.on('close', (code) => done({ code, output }));
  });
}

/** The plugin as the real framework (Serverless v3) loads it, through the shim, in a service of its own. */
describe('Integration: the plugin inside Serverless v3', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stagegate-sls-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const service = (stagegate: string): void =>
    writeFileSync(
      join(dir, 'serverless.yml'),
      [
        'service: schema-check',
        "frameworkVersion: '3'",
        'configValidationMode: error',
        'provider:',
        '  name: aws',
        '  runtime: nodejs20.x',
        'plugins:',
        `  - ${SHIM}`,
        'custom:',
        '  stagegate:',
        stagegate,
        'functions:',
        '  migrate:',
        '    handler: handler.migrate',
        '  api:',
        '    handler: handler.api',
        '',
      ].join('\n'),
    );

  it('reports a misspelt key under custom.stagegate through the framework\'s schema', async () => {
    // Prepare
    service('    buckt: deploys\n    maxInvocations: 0');
    // Act
    const { code, output } = await runServerless(['print'], dir);
    // Assess
    expect(code).not.toBe(0);
    expect(output).toContain("at 'custom.stagegate': unrecognized property 'buckt'");
    expect(output).toContain("at 'custom.stagegate.maxInvocations': must be >= 1");
  });

  it('says that a wrong setting is fixed in serverless.yml, naming the key', async () => {
    // Prepare
    service('    bucket: deploys\n    migrateFunction: migrat');
    // Act
    const { code, output } = await runServerless(['migrate', 'status', '--stage', 'dev'], dir);
    // Assess
    expect(code).not.toBe(0);
    expect(output).toContain('error CONFIG_INVALID: The configuration is invalid:');
    expect(output).toContain('custom.stagegate.migrateFunction: "migrat" is not a function of this service (functions: migrate, api)');
    expect(output).toContain('what to do: Fix each key listed above under custom.stagegate in serverless.yml');
    expect(output).not.toContain('environment variable or command-line option');
  });

  it('refuses `deploy function -f api` before any AWS call, with a non-zero exit', async () => {
    // Prepare
    service('    bucket: deploys');
    // Act
    const { code, output } = await runServerless(['deploy', 'function', '-f', 'api'], dir);
    // Assess
    expect(code).not.toBe(0);
    expect(output).toContain('error DEPLOY_REFUSED: `serverless deploy function -f api` is refused');
  });

  it('refuses `rollback --timestamp` before any AWS call, pointing at promote', async () => {
    // Prepare
    service('    bucket: deploys');
    // Act
    const { code, output } = await runServerless(['rollback', '--timestamp', '1700000000000'], dir);
    // Assess
    expect(code).not.toBe(0);
    expect(output).toContain('error DEPLOY_REFUSED: `serverless rollback --timestamp 1700000000000` is refused');
    expect(output).toContain('serverless promote --to <version>');
  });
});

/**
 * `serverless migrate` through the real framework: the plugin builds its AWS
 * clients from the credentials Serverless v3 resolved (AWS_* variables here),
 * publishes to s3rver and invokes the migrate function under serverless-offline.
 */
describe('Integration: `serverless migrate` inside Serverless v3', () => {
  const BUCKET = 'stagegate-plugin-migrate';
  let db: TestDatabase;
  let s3: LocalS3;
  let offline: Offline;
  let dir: string;

  beforeAll(async () => {
    [db, s3] = await Promise.all([createTestDatabase(), startS3()]);
    await s3.createBucket(BUCKET);
    offline = await startOffline({
      env: { DATABASE_URL: db.url, STAGEGATE_DB_TLS: 'disable', STAGEGATE_S3_ENDPOINT: s3.endpoint, AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey },
    });
    // A service named like this repository's, so its local stage's migrate function is stagegate-local-migrate.
    dir = mkdtempSync(join(tmpdir(), 'stagegate-sls-migrate-'));
    writeFileSync(
      join(dir, 'serverless.yml'),
      ['service: stagegate', "frameworkVersion: '3'", 'provider:', '  name: aws', '  runtime: nodejs20.x', 'plugins:', `  - ${SHIM}`, 'custom:', '  stagegate:', `    bucket: ${BUCKET}`, '    promote: []', 'functions:', '  migrate:', '    handler: handler.migrate', ''].join('\n'),
    );
    mkdirSync(join(dir, 'migrations/shop'), { recursive: true });
    writeFileSync(join(dir, 'migrations/shop/0001_orders.sql'), 'CREATE TABLE plugin_orders (id int);');
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
    git('init', '--quiet');
    git('-c', 'user.name=Plugin Test', '-c', 'user.email=plugin@example.com', '-c', 'commit.gpgsign=false', 'commit', '--quiet', '--allow-empty', '-m', 'start');
    git('add', 'migrations');
    git('-c', 'user.name=Plugin Test', '-c', 'user.email=plugin@example.com', '-c', 'commit.gpgsign=false', 'commit', '--quiet', '-m', 'orders');
  });
  afterAll(async () => {
    await offline?.stop();
    await Promise.all([s3?.stop(), db?.drop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const env = (): Record<string, string> => ({
    STAGEGATE_S3_ENDPOINT: s3.endpoint,
    STAGEGATE_LAMBDA_ENDPOINT: offline.lambdaEndpoint,
    AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
  });

  it('applies the committed migrations, then reports the stage up to date', async () => {
    // Act
    const first = await runServerless(['migrate', '--stage', 'local', '--region', 'us-east-1'], dir, env());
    const status = await runServerless(['migrate', 'status', '--stage', 'local', '--region', 'us-east-1'], dir, env());
    // Assess
    expect(first.output).toContain('invoking stagegate-local-migrate (stage local)');
    expect(first.output).toMatch(/Applied 1 migration in \d+ ms/);
    expect(first.code).toBe(0);
    expect(status.output).toMatch(/shop\/0001_orders {2}applied/);
    expect(status.code).toBe(0);
    expect((await db.query<{ id: string }>('select id from stagegate.migrations')).map((r) => r.id)).toEqual(['shop/0001_orders']);
  });
});
