import { parseDatabaseEnvironment, parseLambdaEnvironment } from '../../lib/adapters/lambda/environment';
import { ConfigInvalidError, type ConfigProblem } from '../../lib/core/errors';

const URL_ENV = { DATABASE_URL: 'postgres://api:hunter2@localhost:5432/app' };

function problemsOf(env: Record<string, string | undefined>): ConfigProblem[] {
  try {
    parseDatabaseEnvironment(env);
  } catch (error) {
    if (error instanceof ConfigInvalidError) return [...error.problems];
    throw error;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('Function: parseDatabaseEnvironment', () => {
  it('reads the database and the ledger schema as the migrate function does', () => {
    // Prepare
    const env = { ...URL_ENV, STAGEGATE_DB_TLS: 'disable', STAGEGATE_SCHEMA: 'ledger' };
    // Act
    const parsed = parseDatabaseEnvironment(env);
    // Assess
    expect(parsed).toEqual({ database: { kind: 'url', url: URL_ENV.DATABASE_URL, tls: 'disable' }, schema: 'ledger' });
    expect(parsed.database).toEqual(parseLambdaEnvironment(env).database);
  });

  it('defaults the schema and ignores the migrate function\'s own variables, even invalid ones', () => {
    // Act
    const parsed = parseDatabaseEnvironment({ ...URL_ENV, STAGEGATE_LOCK_WAIT_MS: 'soon', STAGEGATE_SAFETY_MARGIN_MS: 'x', STAGEGATE_S3_ENDPOINT: 'nope' });
    // Assess
    expect(parsed.schema).toBe('stagegate');
  });

  it('picks a Secrets Manager secret with TLS verified by default', () => {
    // Act
    const parsed = parseDatabaseEnvironment({ STAGEGATE_DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:api-AbCdEf', DB_HOST: 'proxy.internal' });
    // Assess
    expect(parsed.database).toMatchObject({ kind: 'secret', region: 'eu-west-1', overrides: { host: 'proxy.internal' }, tls: 'verify' });
  });

  it('reports every problem together, naming the variables and never a value', () => {
    // Act
    const problems = problemsOf({ DATABASE_URL: 'mysql://api:hunter2@db/app', STAGEGATE_DB_TLS: 'maybe', STAGEGATE_SCHEMA: 'x'.repeat(64) });
    // Assess
    expect(problems.map((p) => p.key)).toEqual(['STAGEGATE_DB_TLS', 'DATABASE_URL', 'STAGEGATE_SCHEMA']);
    expect(JSON.stringify(problems)).not.toContain('hunter2');
  });

  it('names the choices when no database is configured', () => {
    // Act
    const problems = problemsOf({});
    // Assess
    expect(problems).toEqual([{ key: 'STAGEGATE_DB_IAM, STAGEGATE_DB_SECRET_ARN, DATABASE_URL', problem: expect.stringContaining('no database is configured') }]);
  });
});
