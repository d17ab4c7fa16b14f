import { parseLambdaEnvironment } from '../../lib/adapters/lambda/environment';
import { ConfigInvalidError, type ConfigProblem } from '../../lib/core/errors';

const URL_ENV = { DATABASE_URL: 'postgres://app:hunter2@localhost:5432/app' };
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf';
const IAM_ENV = { STAGEGATE_DB_IAM: 'true', DB_HOST: 'db.cluster-x.eu-west-1.rds.amazonaws.com', DB_NAME: 'app', DB_USER: 'migrator', AWS_REGION: 'eu-west-1' };

function problemsOf(env: Record<string, string | undefined>): ConfigProblem[] {
  try {
    parseLambdaEnvironment(env);
  } catch (error) {
    if (error instanceof ConfigInvalidError) return [...error.problems];
    throw error;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('Function: parseLambdaEnvironment', () => {
  it('fills every default around a DATABASE_URL and ignores unrelated variables', () => {
    // Act
    const config = parseLambdaEnvironment({ ...URL_ENV, PATH: '/usr/bin', AWS_LAMBDA_FUNCTION_NAME: 'f' });
    // Assess
    expect(config).toEqual({
      database: { kind: 'url', url: URL_ENV.DATABASE_URL, tls: 'url' },
      schema: 'stagegate',
      settings: { lockWaitMs: 120_000, lockTimeoutMs: 10_000, statementTimeoutMs: 1_800_000, rehearsalLockTimeoutMs: 2_000, drift: 'fail' },
      safetyMarginMs: 30_000,
      s3Endpoint: null,
      region: null,
      stage: null,
      stageOrder: null,
    });
  });

  it('reads the stage order and this stage\'s place in it', () => {
    // Act
    const config = parseLambdaEnvironment({ ...URL_ENV, STAGEGATE_STAGE: 'production', STAGEGATE_STAGES: 'dev,staging,production' });
    const first = parseLambdaEnvironment({ ...URL_ENV, STAGEGATE_STAGE: 'dev', STAGEGATE_STAGES: 'dev,staging,production' });
    // Assess
    expect(config.stageOrder).toEqual({ stages: ['dev', 'staging', 'production'], stage: 'production', previousStage: 'staging' });
    expect(first.stageOrder?.previousStage).toBeNull();
  });

  it('refuses a stage order without this stage, or without a stage at all', () => {
    // Act
    const outside = problemsOf({ ...URL_ENV, STAGEGATE_STAGE: 'qa', STAGEGATE_STAGES: 'dev,production' });
    const unnamed = problemsOf({ ...URL_ENV, STAGEGATE_STAGES: 'dev,production' });
    const twice = problemsOf({ ...URL_ENV, STAGEGATE_STAGE: 'dev', STAGEGATE_STAGES: 'dev,dev' });
    // Assess
    expect(outside).toEqual([{ key: 'STAGEGATE_STAGE', problem: expect.stringContaining('stage "qa" is not in the stage order (STAGEGATE_STAGES: dev, production)') }]);
    expect(unnamed).toEqual([{ key: 'STAGEGATE_STAGE', problem: expect.stringContaining('is required with STAGEGATE_STAGES') }]);
    expect(twice).toEqual([{ key: 'STAGEGATE_STAGES', problem: 'names a stage twice' }]);
  });

  it('reads every stagegate setting', () => {
    // Act
    const config = parseLambdaEnvironment({
      ...URL_ENV,
      STAGEGATE_SCHEMA: 'ledger',
      STAGEGATE_LOCK_WAIT_MS: '45s',
      STAGEGATE_LOCK_TIMEOUT_MS: '2000',
      STAGEGATE_STATEMENT_TIMEOUT_MS: '10m',
      STAGEGATE_REHEARSAL_LOCK_TIMEOUT_MS: '750ms',
      STAGEGATE_SAFETY_MARGIN_MS: '20s',
      STAGEGATE_S3_ENDPOINT: 'http://127.0.0.1:4569',
      STAGEGATE_STAGE: 'prod',
      AWS_REGION: 'eu-central-1',
    });
    // Assess
    expect(config).toMatchObject({
      schema: 'ledger',
      settings: { lockWaitMs: 45_000, lockTimeoutMs: 2_000, statementTimeoutMs: 600_000, rehearsalLockTimeoutMs: 750 },
      safetyMarginMs: 20_000,
      s3Endpoint: 'http://127.0.0.1:4569',
      stage: 'prod',
      region: 'eu-central-1',
    });
  });

  it('treats empty values as unset', () => {
    // Act
    const config = parseLambdaEnvironment({ ...URL_ENV, STAGEGATE_SCHEMA: '', STAGEGATE_DB_SECRET_ARN: ' ', STAGEGATE_STAGE: '' });
    // Assess
    expect(config).toMatchObject({ schema: 'stagegate', stage: null, database: { kind: 'url' } });
  });

  it('reports every problem together, naming the variables and never the database URL', () => {
    // Act
    const problems = problemsOf({
      DATABASE_URL: 'mysql://root:hunter2@db/x',
      STAGEGATE_LOCK_WAIT_MS: 'soon',
      STAGEGATE_SCHEMA: 'x'.repeat(64),
      STAGEGATE_SAFETY_MARGIN_MS: '-5',
      STAGEGATE_S3_ENDPOINT: 'ftp://files',
      STAGEGATE_DB_TLS: 'maybe',
      AWS_REGION: 'Europe',
    });
    // Assess
    expect(problems.map((p) => p.key).sort()).toEqual([
      'AWS_REGION',
      'DATABASE_URL',
      'STAGEGATE_DB_TLS',
      'STAGEGATE_LOCK_WAIT_MS',
      'STAGEGATE_S3_ENDPOINT',
      'STAGEGATE_SAFETY_MARGIN_MS',
      'STAGEGATE_SCHEMA',
    ]);
    expect(JSON.stringify(problems)).not.toContain('hunter2');
  });

  it('names the three ways to configure a database when none is set', () => {
    // Act
    const problems = problemsOf({ STAGEGATE_STAGE: 'dev' });
    // Assess
    expect(problems).toEqual([
      {
        key: 'STAGEGATE_DB_IAM, STAGEGATE_DB_SECRET_ARN, DATABASE_URL',
        problem: 'no database is configured: set STAGEGATE_DB_IAM=true (with DB_HOST, DB_NAME, DB_USER), STAGEGATE_DB_SECRET_ARN, or DATABASE_URL',
      },
    ]);
  });

  describe('RDS IAM authentication', () => {
    it('reads host, name, user and region, with port 5432 by default', () => {
      // Act
      const config = parseLambdaEnvironment(IAM_ENV);
      // Assess
      expect(config.database).toEqual({ kind: 'iam', host: IAM_ENV.DB_HOST, port: 5432, database: 'app', user: 'migrator', region: 'eu-west-1' });
    });

    it('is preferred over a secret and a URL', () => {
      // Act
      const config = parseLambdaEnvironment({ ...IAM_ENV, DB_PORT: '6432', STAGEGATE_DB_SECRET_ARN: ARN, ...URL_ENV });
      // Assess
      expect(config.database).toMatchObject({ kind: 'iam', port: 6432 });
    });

    it('lists every missing variable', () => {
      // Act
      const problems = problemsOf({ STAGEGATE_DB_IAM: 'true', DB_PORT: '0' });
      // Assess
      expect(problems).toEqual([
        { key: 'DB_HOST', problem: 'is required with STAGEGATE_DB_IAM=true' },
        { key: 'DB_PORT', problem: 'must be a port number from 1 to 65535' },
        { key: 'DB_NAME', problem: 'is required with STAGEGATE_DB_IAM=true' },
        { key: 'DB_USER', problem: 'is required with STAGEGATE_DB_IAM=true' },
        { key: 'AWS_REGION', problem: 'is required with STAGEGATE_DB_IAM=true' },
      ]);
    });

    it('refuses to turn TLS off, which RDS requires for IAM tokens', () => {
      // Act
      const problems = problemsOf({ ...IAM_ENV, STAGEGATE_DB_TLS: 'disable' });
      // Assess
      expect(problems).toEqual([{ key: 'STAGEGATE_DB_TLS', problem: 'cannot be disable with STAGEGATE_DB_IAM=true: RDS accepts IAM tokens only over TLS' }]);
    });

    it('accepts only true or false', () => {
      // Act
      const problems = problemsOf({ ...URL_ENV, STAGEGATE_DB_IAM: 'yes' });
      // Assess
      expect(problems).toEqual([{ key: 'STAGEGATE_DB_IAM', problem: 'must be true or false' }]);
    });
  });

  describe('Secrets Manager', () => {
    it('takes the region from the ARN, verifies TLS by default and keeps the overrides that are set', () => {
      // Act
      const config = parseLambdaEnvironment({ STAGEGATE_DB_SECRET_ARN: ARN, DB_HOST: 'proxy.internal', ...URL_ENV });
      // Assess
      expect(config.database).toEqual({ kind: 'secret', secretArn: ARN, region: 'eu-west-1', overrides: { host: 'proxy.internal' }, tls: 'verify' });
    });

    it('lets a local setup turn TLS off', () => {
      // Act
      const config = parseLambdaEnvironment({ STAGEGATE_DB_SECRET_ARN: ARN, STAGEGATE_DB_TLS: 'disable' });
      // Assess
      expect(config.database).toMatchObject({ kind: 'secret', tls: 'disable' });
    });

    it.each(['prod/db', 'arn:aws:s3:::bucket', 'arn:aws:secretsmanager:eu-west-1:1234:secret:x'])('refuses %p as a secret ARN', (arn) => {
      // Act
      const problems = problemsOf({ STAGEGATE_DB_SECRET_ARN: arn });
      // Assess
      expect(problems.map((p) => p.key)).toEqual(['STAGEGATE_DB_SECRET_ARN']);
    });
  });

  describe('TLS with a DATABASE_URL', () => {
    it.each([
      ['postgres://a:b@h/d', undefined, 'url'],
      ['postgres://a:b@h/d?sslmode=require', undefined, 'url'],
      ['postgres://a:b@h/d', 'verify', 'verify'],
      ['postgres://a:b@h/d?sslmode=verify-full', 'verify', 'verify'],
      ['postgres://a:b@h/d', 'disable', 'disable'],
      ['postgres://a:b@h/d?sslmode=disable', 'disable', 'disable'],
    ])('%s with STAGEGATE_DB_TLS=%s is %s', (url, tls, expected) => {
      // Act
      const config = parseLambdaEnvironment({ DATABASE_URL: url, STAGEGATE_DB_TLS: tls });
      // Assess
      expect(config.database).toEqual({ kind: 'url', url, tls: expected });
    });

    it.each([
      ['postgres://a:b@h/d?sslmode=disable', 'verify'],
      ['postgres://a:b@h/d?sslmode=require', 'verify'],
      ['postgres://a:b@h/d?sslmode=require', 'disable'],
    ])('refuses %s with STAGEGATE_DB_TLS=%s instead of guessing', (url, tls) => {
      // Act
      const problems = problemsOf({ DATABASE_URL: url, STAGEGATE_DB_TLS: tls });
      // Assess
      expect(problems).toHaveLength(1);
      expect(problems[0]?.key).toBe('STAGEGATE_DB_TLS');
      expect(problems[0]?.problem).toMatch(/sslmode=/);
    });
  });
});
