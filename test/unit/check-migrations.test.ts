import { checkMigrations, type ApplyToEmpty } from '../../lib/check/check-migrations';
import { loadSqlParser, type ParseSql } from '../../lib/lint/parse-sql';

let parse: ParseSql;
beforeAll(async () => {
  parse = await loadSqlParser();
});

describe('Unit: checkMigrations', () => {
  it('passes a clean folder and hands every migration to the database step', async () => {
    // Prepare
    const seen: string[][] = [];
    const apply: ApplyToEmpty = async (migrations) => {
      seen.push(migrations.map((m) => m.id));
      return { database: { database: 'scratch', applied: migrations.length, reverted: migrations.length, reverseSkipped: null }, problems: [] };
    };
    const files = [
      { path: 'a/0001_x.sql', content: 'CREATE TABLE x (id int);' },
      { path: 'a/0001_x.down.sql', content: 'DROP TABLE x;' },
      { path: 'a/0002_y.sql', content: '-- stagegate:irreversible\nINSERT INTO x VALUES (1);' },
    ];
    // Act
    const report = await checkMigrations(files, parse, apply);
    // Assess
    expect(report.problems).toEqual([]);
    expect(report.database).toMatchObject({ database: 'scratch', applied: 2 });
    expect(report.reverse).toBe('reverted 2 migration(s); compared with the empty database');
    expect(seen).toEqual([['a/0001_x', 'a/0002_y']]);
  });

  it('reports a malformed allow directive once, and applies nothing when the folder does not build', async () => {
    // Prepare
    const apply: ApplyToEmpty = async () => ({ database: null, problems: [{ kind: 'database', code: 'MIGRATION_FAILED', file: 'a/0001_x.sql', line: 2, message: 'does not apply' }] });
    const files = [{ path: 'a/0001_x.sql', content: '-- stagegate:allow drop-table\n-- stagegate:irreversible\nSELECT 1;' }];
    // Act
    const report = await checkMigrations(files, parse, apply);
    // Assess: the folder does not build (BAD_DIRECTIVE), so nothing is applied
    expect(report.problems.map((p) => `${p.kind} ${p.code} ${p.line}`)).toEqual(['bundle BAD_DIRECTIVE 1']);
    expect(report.database).toBeNull();
  });

  it('adds the problem the database step found', async () => {
    const problem = { kind: 'database' as const, code: 'MIGRATION_FAILED', file: 'a/0001_x.sql', line: 1, message: 'does not apply to an empty database' };
    const report = await checkMigrations([{ path: 'a/0001_x.sql', content: '-- stagegate:irreversible\nSELECT 1;' }], parse, async () => ({ database: null, problems: [problem] }));
    expect(report.problems).toEqual([problem]);
    expect(report.reverse).toBe('not checked: the history does not apply');
  });

  it('reports a migration without a reverse script unless it is marked irreversible', async () => {
    const files = [
      { path: 'a/0001_x.sql', content: 'SELECT 1;' },
      { path: 'a/0002_y.sql', content: '-- stagegate:irreversible\nSELECT 1;' },
    ];
    const report = await checkMigrations(files, parse);
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'reverse', code: 'MISSING_REVERSE', file: 'a/0001_x.sql' })]);
  });
});

describe('Unit: reverse scripts in checkMigrations', () => {
  it('reports an empty reverse script of a migration that has statements, and nothing else', async () => {
    // Prepare
    const files = [
      { path: 'a/0001_x.sql', content: 'CREATE TABLE x (id int);' },
      { path: 'a/0001_x.down.sql', content: '-- todo\n' },
      { path: 'a/0002_noop.sql', content: '-- nothing yet\n' },
      { path: 'a/0002_noop.down.sql', content: '' },
    ];
    // Act
    const report = await checkMigrations(files, parse);
    // Assess
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'reverse', code: 'EMPTY_REVERSE', file: 'a/0001_x.down.sql' })]);
  });
});
