import { toInvocationError } from '../../lib/adapters/lambda/invocation-error';
import { MAX_ERROR_MESSAGE_BYTES, formatInvocationErrorMessage, parseInvocationErrorMessage } from '../../lib/core/error-text';
import { EventInvalidError, MigrationFailedError, MigrationRunnerError } from '../../lib/core/errors';

const failed = (): MigrationFailedError =>
  new MigrationFailedError(
    {
      migration: 'app/0002_broken',
      file: 'app/0002_broken.sql',
      line: 3,
      column: 8,
      statement: 'SELECT nope FROM t',
      sqlstate: '42703',
      pgMessage: 'column "nope" does not exist',
    },
    false,
  );

describe('Function: formatInvocationErrorMessage', () => {
  it('writes the message, then the remedy, then the details as one JSON line', () => {
    // Prepare
    const error = failed();
    error.details.applied = [{ id: 'app/0001_init', durationMs: 4, method: 'executed' }];
    // Act
    const text = formatInvocationErrorMessage(error);
    // Assess
    expect(text.split('\n')).toEqual([
      'Migration app/0002_broken failed at app/0002_broken.sql:3:8: column "nope" does not exist [SQLSTATE 42703]',
      `what to do: ${error.remedy}`,
      `details: ${JSON.stringify({ code: 'MIGRATION_FAILED', ...error.details })}`,
    ]);
  });

  it('round-trips through parseInvocationErrorMessage, multi-line messages included', () => {
    // Prepare
    const error = new EventInvalidError([
      { field: 'bundle.sha256', problem: 'is required' },
      { field: 'colour', problem: 'unknown field' },
    ]);
    // Act
    const parsed = parseInvocationErrorMessage(formatInvocationErrorMessage(error));
    // Assess
    expect(parsed).toEqual({ code: 'EVENT_INVALID', message: error.message, remedy: error.remedy, details: error.details });
  });

  it('indents message lines that look like the remedy or details lines', () => {
    // Prepare
    const error = new MigrationRunnerError('INTERNAL', 'first\ndetails: {"fake":true}\nwhat to do: nothing', { remedy: 'Report it.\nPlease.' });
    // Act
    const text = formatInvocationErrorMessage(error);
    const parsed = parseInvocationErrorMessage(text);
    // Assess
    expect(parsed).toEqual({ code: 'INTERNAL', message: 'first\n  details: {"fake":true}\n  what to do: nothing', remedy: 'Report it. Please.', details: {} });
  });

  it('stays under 4 KB by cutting long lists and strings, saying how much was left out', () => {
    // Prepare
    const problems = Array.from({ length: 500 }, (_, i) => ({ field: `field_${i}`, problem: 'unknown field '.repeat(20) }));
    const error = new EventInvalidError(problems);
    // Act
    const text = formatInvocationErrorMessage(error);
    const parsed = parseInvocationErrorMessage(text);
    // Assess
    expect(Buffer.byteLength(text, 'utf8')).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_BYTES);
    expect(parsed.message.split('\n')[0]).toBe('The invocation event is invalid:');
    expect(parsed.message).toMatch(/… \d+ more line\(s\)$/);
    expect(parsed.remedy).toBe(error.remedy);
    expect(parsed.code).toBe('EVENT_INVALID');
    const kept = parsed.details.problems as unknown[];
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length + (parsed.details.problemsOmitted as number)).toBe(500);
  });

  it('reads text in another form as a bare message', () => {
    // Act
    const parsed = parseInvocationErrorMessage('2026-03-01T10:00:00.000Z 8f0e… Task timed out after 900.00 seconds');
    // Assess
    expect(parsed).toEqual({ code: null, message: '2026-03-01T10:00:00.000Z 8f0e… Task timed out after 900.00 seconds', remedy: '', details: {} });
  });
});

describe('Function: toInvocationError', () => {
  it('names the error by its code, which Lambda reports as errorType', () => {
    // Act
    const error = toInvocationError(failed());
    // Assess
    expect(error.name).toBe('MIGRATION_FAILED');
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.message).toBe(formatInvocationErrorMessage(failed()));
    expect(error.stack?.split('\n')[0]).toBe('MIGRATION_FAILED: Migration app/0002_broken failed at app/0002_broken.sql:3:8: column "nope" does not exist [SQLSTATE 42703]');
  });

  it('reports anything unexpected as INTERNAL', () => {
    // Act
    const error = toInvocationError(new TypeError('x is undefined'));
    // Assess
    expect(error.name).toBe('INTERNAL');
    expect(error.message.split('\n')[0]).toBe('Unexpected error: x is undefined');
  });
});
