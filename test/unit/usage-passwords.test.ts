import { UsageError, withoutPasswords } from '../../lib/core/errors';

describe('Unit: usage messages never quote a password', () => {
  it.each([
    ['got "postgres://app:s3cret@db/app".', 'got "postgres://app:***@db/app".'],
    ['got "postgres://odd:p@ss:w/o%rd# x@127.0.0.1:5432/s1".', 'got "postgres://odd:***@127.0.0.1:5432/s1".'],
    ['got "postgresql://app:averyveryverylongpass', 'got "postgresql://app:***'],
    ['stagegate status takes no arguments; got "organization".', 'stagegate status takes no arguments; got "organization".'],
  ])('%s', (text, expected) => {
    // Act
    const shown = withoutPasswords(text);
    // Assess
    expect(shown).toBe(expected);
  });

  it('a UsageError redacts the URL it quotes', () => {
    // Act
    const error = new UsageError('stagegate status takes no arguments; got "postgres://app:s3cret@db.internal/app".');
    // Assess
    expect(error.message).not.toContain('s3cret');
    expect(error.message).toContain('postgres://app:***@db.internal/app');
  });
});
