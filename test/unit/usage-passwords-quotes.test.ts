import { UsageError } from '../../lib/core/errors';
import { parseConfig } from '../../lib/config';

describe('Unit: a usage message hides every character of a quoted password', () => {
  it.each([
    ["it's-s3cret", 'stagegate status takes no arguments; got "postgres://app:it\'s-s3cret@db/app".'],
    ['pa"ss-s3cret', 'stagegate status takes no arguments; got "postgres://app:pa"ss-s3cret@db/app".'],
  ])('a password with a quote (%s) is not shown in part', (password, message) => {
    // Act
    const error = new UsageError(message);
    // Assess: no part of the password after its first character survives
    expect(error.message).not.toContain(password.slice(2));
  });
});

describe('Unit: a setting given a URL where none goes does not print its password', () => {
  it.each([['lockWaitMs'], ['statementTimeoutMs'], ['drift']] as const)('%s set to a database URL (`--lock-wait $DATABASE_URL`)', (key) => {
    // Act
    let message = '';
    try {
      parseConfig({ [key]: 'postgres://app:s3cret@db/app' });
    } catch (error) {
      message = (error as Error).message;
    }
    // Assess
    expect(message).toContain(key);
    expect(message).not.toContain('s3cret');
  });
});
