import { configFromEnv, parseConfig, parseDuration } from '../../lib/config';
import { ConfigInvalidError } from '../../lib/core/errors';

describe('Function: parseConfig', () => {
  it('fills defaults and reads the environment', () => {
    // Act
    const config = parseConfig(configFromEnv({ DATABASE_URL: 'postgres://u:p@h:5432/d', STAGEGATE_LOCK_WAIT_MS: '30s', OTHER: 'x' }));
    // Assess
    expect(config).toEqual({ databaseUrl: 'postgres://u:p@h:5432/d', schema: 'stagegate', lockWaitMs: 30_000, lockTimeoutMs: 10_000, statementTimeoutMs: 1_800_000, rehearsalLockTimeoutMs: 2_000, embeddedPort: 54329, drift: 'fail' });
  });

  it('reports every problem at once and never repeats the database URL', () => {
    // Prepare
    const secretUrl = 'mysql://admin:hunter2@db/x';
    // Act
    let error: unknown;
    try {
      parseConfig({ databaseUrl: secretUrl, schema: '', lockWaitMs: 'soon', embeddedPort: '70000', ...({ colour: 'red' } as object) });
    } catch (caught) {
      error = caught;
    }
    // Assess
    expect(error).toBeInstanceOf(ConfigInvalidError);
    const problems = (error as ConfigInvalidError).problems.map((p) => p.key).sort();
    expect(problems).toEqual(['colour', 'databaseUrl', 'embeddedPort', 'lockWaitMs', 'schema']);
    expect(JSON.stringify((error as ConfigInvalidError).toJSON())).not.toContain('hunter2');
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('reads the drift setting from STAGEGATE_DRIFT and refuses anything but fail or warn', () => {
    // Act
    const warn = parseConfig(configFromEnv({ STAGEGATE_DRIFT: 'warn' }));
    // Assess
    expect(warn.drift).toBe('warn');
    expect(() => parseConfig({ drift: 'ignore' })).toThrow(/drift: must be fail or warn; got "ignore"/);
  });

  it('accepts a schema name with quotes and spaces (it is always quoted) but not over 63 bytes', () => {
    // Act
    const config = parseConfig({ schema: 'we"ird schema; drop' });
    // Assess
    expect(config.schema).toBe('we"ird schema; drop');
    expect(() => parseConfig({ schema: 'x'.repeat(64) })).toThrow(/63 bytes/);
  });
});

describe('Function: parseDuration', () => {
  it.each([
    ['1500', 1500],
    ['1500ms', 1500],
    ['30s', 30_000],
    ['2m', 120_000],
    [' 0 ', 0],
  ])('reads %s as %d ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each(['-1', '1.5s', '3h', '', 'x'.repeat(1000)])('refuses %p', (input) => {
    expect(() => parseDuration(input)).toThrow(/duration/);
  });
});
