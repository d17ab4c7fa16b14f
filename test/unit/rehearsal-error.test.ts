import { formatInvocationErrorMessage, MAX_ERROR_MESSAGE_BYTES, parseInvocationErrorMessage } from '../../lib/core/error-text';
import { MigrationFailedError, RehearsalFailedError, type MigrationFailure } from '../../lib/core/errors';
import { explained } from '../../lib/core/explain';
import type { RehearsalOutcome } from '../../lib/core/rehearsal';

/** A 42P07 failure on a wide table, with its facts and explanation, as the engine builds it. */
function wideFailure(id: string): MigrationFailure {
  const columns = Array.from({ length: 30 }, (_, i) => ({ name: `column_with_a_long_name_${i}`, type: 'character varying(200)', nullable: false, default: "'a default value'::character varying" }));
  return explained({
    migration: id,
    file: `${id}.sql`,
    line: 7,
    column: 1,
    statement: `CREATE TABLE wide (${columns.map((c) => `${c.name} varchar(200)`).join(', ')})`.slice(0, 500),
    sqlstate: '42P07',
    pgMessage: 'relation "wide" already exists',
    facts: { relation: { schema: 'public', name: 'wide', kind: 'table', columns, columnsOmitted: 12 } },
  });
}

describe('Class: RehearsalFailedError', () => {
  it('names each failure with file, line and SQLSTATE, counts the rest, and keeps the report in details', () => {
    // Prepare
    const outcomes: RehearsalOutcome[] = [
      { id: 'app/0001_a', file: 'app/0001_a.sql', status: 'rehearsed', durationMs: 3 },
      { id: 'app/0002_b', file: 'app/0002_b.sql', status: 'failed', durationMs: 1, failure: wideFailure('app/0002_b') },
      { id: 'app/0003_c', file: 'app/0003_c.sql', status: 'not-rehearsable', reason: 'depends on app/0002_b, which failed' },
    ];
    // Act
    const error = new RehearsalFailedError('f'.repeat(64), outcomes, [{ id: 'app/0001_a', file: 'app/0001_a.sql', kind: 'apply', noTransaction: false }]);
    // Assess
    expect(error.code).toBe('REHEARSAL_FAILED');
    expect(error.message.split('\n')[0]).toBe('The rehearsal of bundle ffffffffffff found 1 of 3 migrations failing on this database (1 rehearsed, 1 not rehearsable):');
    expect(error.message).toContain('  app/0002_b failed at app/0002_b.sql:7:1: relation "wide" already exists [SQLSTATE 42P07]');
    expect(error.message).toMatch(/Nothing was kept: the rehearsal rolled back\.$/);
    expect(error.remedy).toContain('stagegate adopt app/0002_b');
    expect(error.details).toEqual({ rehearsal: outcomes, pending: ['app/0001_a'] });
  });
});

describe('Lambda errorMessage of explained failures', () => {
  it('stays within 4 KB and keeps code, explanation summary and the way out for the caller', () => {
    // Prepare
    const failures = ['app/0001_a', 'app/0002_b', 'app/0003_c', 'app/0004_d'].map((id) => ({ id, file: `${id}.sql`, status: 'failed' as const, durationMs: 1, failure: wideFailure(id) }));
    const rehearsal = new RehearsalFailedError('f'.repeat(64), failures, []);
    const migrate = new MigrationFailedError(wideFailure('app/0001_a'), false);
    // Act
    const texts = [rehearsal, migrate].map((error) => formatInvocationErrorMessage(error));
    const parsed = texts.map((text) => parseInvocationErrorMessage(text));
    // Assess
    for (const text of texts) expect(Buffer.byteLength(text, 'utf8')).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_BYTES);
    expect(parsed.map((p) => p.code)).toEqual(['REHEARSAL_FAILED', 'MIGRATION_FAILED']);
    expect(parsed[0]?.message).toContain('and 1 more (see the report)');
    expect(parsed[1]?.message).toContain('app/0001_a.sql:7 creates table "wide", but the database already has one.');
    expect(parsed[1]?.message).toMatch(/with columns \(column_with_a_long_name_0 .*, and \d+ more\)\.$/);
    expect(parsed[1]?.remedy).toContain('stagegate adopt app/0001_a');
    expect(Array.isArray(parsed[0]?.details.rehearsal)).toBe(true);
  });
});
