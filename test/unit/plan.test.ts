import { buildCatalog } from '../../lib/core/catalog';
import { analyse, plan } from '../../lib/core/plan';
import type { AppliedMigration, Migration } from '../../lib/core/migration';
import { MigrationRunnerError } from '../../lib/core/errors';
import { thrown } from '../support/failure';

const catalog = (files: Record<string, string>): Migration[] => buildCatalog(Object.entries(files).map(([path, content]) => ({ path, content })));

function row(migration: Pick<Migration, 'id' | 'checksum'>, overrides: Partial<AppliedMigration> = {}): AppliedMigration {
  return {
    id: migration.id,
    checksum: migration.checksum,
    state: 'applied',
    appliedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1,
    bundleId: 'b'.repeat(64),
    appliedBy: 'test',
    method: 'executed',
    ...overrides,
  };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof MigrationRunnerError) return error.code;
    throw error;
  }
  return 'no error';
}

const ids = (steps: { migration: Migration; kind: string }[]): string[] => steps.map((s) => `${s.kind} ${s.migration.id}`);

describe('Function: plan', () => {
  const base = catalog({
    'org/0001_initial.sql': 'CREATE TABLE org (id int);',
    'org/0002_type.sql': 'ALTER TABLE org ADD COLUMN type int;',
    'org/0003_name.sql': 'ALTER TABLE org ADD COLUMN name text;',
    'member/0001_initial.sql': '-- stagegate:depends-on org/0002_type\nCREATE TABLE member (id int);',
  });
  const get = (id: string): Migration => base.find((m) => m.id === id) as Migration;

  it('orders a fresh database by dependencies, then by id', () => {
    // Act
    const steps = plan(base, []);
    // Assess
    expect(ids(steps)).toEqual(['apply org/0001_initial', 'apply org/0002_type', 'apply member/0001_initial', 'apply org/0003_name']);
  });

  it('keeps the bundle order when every dependency points backwards, as the general ordering would', () => {
    // Prepare: two apps, a merge of two migrations with one number, a depends-on on an earlier app
    const backwards = catalog({
      'a/0001_initial.sql': 'CREATE TABLE a (id int);',
      'a/0002_left.sql': 'ALTER TABLE a ADD COLUMN l int;',
      'a/0002_right.sql': 'ALTER TABLE a ADD COLUMN r int;',
      'a/0003_merge.sql': 'SELECT 1;',
      'b/0001_initial.sql': '-- stagegate:depends-on a/0002_left\nCREATE TABLE b (id int);',
      'b/0002_more.sql': 'ALTER TABLE b ADD COLUMN x int;',
    });
    const forwards = [...backwards].reverse();
    // Act
    const inOrder = ids(plan(backwards, []));
    const fromGraph = ids(plan(forwards, []));
    // Assess: the reversed list makes every dependency point forwards, so the graph decides
    expect(inOrder).toEqual(['apply a/0001_initial', 'apply a/0002_left', 'apply a/0002_right', 'apply a/0003_merge', 'apply b/0001_initial', 'apply b/0002_more']);
    expect(fromGraph).toEqual(['apply a/0001_initial', 'apply a/0002_right', 'apply a/0002_left', 'apply b/0001_initial', 'apply b/0002_more', 'apply a/0003_merge']);
  });

  it('applies a gap even when later migrations are already applied', () => {
    // Prepare: a stage that got 0001 and 0003 but not 0002 and member (history rewritten by a merge)
    const ledger = [row(get('org/0001_initial')), row(get('org/0003_name'))];
    // Act
    const steps = plan(base, ledger);
    // Assess
    expect(ids(steps)).toEqual(['apply org/0002_type', 'apply member/0001_initial']);
  });

  it('returns no steps when everything is applied', () => {
    // Act
    const steps = plan(base, base.map((m) => row(m)));
    // Assess
    expect(steps).toEqual([]);
  });

  it('lists every applied migration whose checksum changed', () => {
    // Prepare
    const ledger = [row(get('org/0001_initial'), { checksum: 'v1:' + '0'.repeat(64) }), row(get('org/0002_type'), { checksum: 'v1:' + '1'.repeat(64) })];
    // Act
    const analysis = analyse(base, ledger);
    // Assess
    expect(analysis.mismatches.map((m) => m.id)).toEqual(['org/0001_initial', 'org/0002_type']);
    expect(analysis.mismatches[0]?.file).toBe('org/0001_initial.sql');
    expect(codeOf(() => plan(base, ledger))).toBe('CHECKSUM_MISMATCH');
  });

  it('refuses a database that applied migrations the bundle does not know', () => {
    // Prepare
    const ledger = [...base.map((m) => row(m)), row({ id: 'org/0004_newer', checksum: 'v1:' + 'a'.repeat(64) })];
    // Act
    const analysis = analyse(base, ledger);
    // Assess
    expect(analysis.ahead).toEqual(['org/0004_newer']);
    expect(codeOf(() => plan(base, ledger))).toBe('DATABASE_AHEAD');
  });

  it('takes an applied id the bundle lacks, whose text a pending migration has, for a renamed file', () => {
    // Prepare: org/0003_name applied, then renamed to org/0003_org_name; org/0004_gone applied and deleted
    const renamed = catalog({ 'org/0001_initial.sql': 'CREATE TABLE org (id int);', 'org/0002_type.sql': 'ALTER TABLE org ADD COLUMN type int;', 'org/0003_org_name.sql': 'ALTER TABLE org ADD COLUMN name text;' });
    const ledger = [...base.filter((m) => m.app === 'org').map((m) => row(m)), row({ id: 'org/0004_gone', checksum: 'v1:' + 'a'.repeat(64) })];
    // Act
    const analysis = analyse(renamed, ledger);
    // Assess
    expect(analysis.ahead).toEqual(['org/0003_name', 'org/0004_gone']);
    expect(analysis.renamed).toEqual([{ id: 'org/0003_name', to: 'org/0003_org_name', file: 'org/0003_org_name.sql' }]);
  });

  it('claims no rename where the text is ambiguous: an empty merge migration, two applied rows of one text, another app', () => {
    // Prepare: another branch's applied org/0004_merge (empty) and two rows of one text; this bundle has its own empty merge and that text once, and a member migration of that text
    const bundle = catalog({
      'org/0001_initial.sql': 'CREATE TABLE org (id int);',
      'org/0005_merge.sql': '-- merge\n',
      'org/0006_one.sql': 'SELECT 1;',
      'member/0001_same.sql': 'ALTER TABLE org ADD COLUMN member int;',
    });
    const text = (id: string): string => bundle.find((m) => m.id === id)?.checksum as string;
    const ledger = [
      row(bundle[0] as Migration),
      row({ id: 'org/0004_merge', checksum: text('org/0005_merge') }),
      row({ id: 'org/0002_a', checksum: text('org/0006_one') }),
      row({ id: 'org/0003_b', checksum: text('org/0006_one') }),
      row({ id: 'org/0007_member', checksum: text('member/0001_same') }),
    ];
    // Act
    const analysis = analyse(bundle, ledger);
    const error = thrown(() => plan(bundle, ledger));
    // Assess
    expect(analysis.ahead).toEqual(['org/0004_merge', 'org/0002_a', 'org/0003_b', 'org/0007_member']);
    expect(analysis.renamed).toEqual([]);
    expect(error.remedy).toContain('This stage already runs a newer release');
    expect(error.remedy).not.toContain('its applied name back');
  });

  it('refuses to plan over a dirty no-transaction migration before anything else', () => {
    // Prepare
    const ledger = [row(get('org/0001_initial'), { state: 'failed' }), row(get('org/0002_type'), { checksum: 'v1:' + '0'.repeat(64) })];
    // Act
    const code = codeOf(() => plan(base, ledger));
    // Assess
    expect(code).toBe('MIGRATION_DIRTY');
  });
});

describe('Function: plan with a squash', () => {
  const files = {
    'a/0001_x.sql': 'CREATE TABLE x (id int);',
    'a/0002_y.sql': 'CREATE TABLE y (id int);',
    'a/0003_z.sql': 'CREATE TABLE z (id int);',
    'a/0003_squashed.sql': '-- stagegate:replaces a/0001_x a/0002_y a/0003_z\nCREATE TABLE x (id int); CREATE TABLE y (id int); CREATE TABLE z (id int);',
    'a/0004_after.sql': 'CREATE TABLE w (id int);',
    'b/0001_uses_y.sql': '-- stagegate:depends-on a/0002_y\nCREATE TABLE b (id int);',
  };
  const migrations = catalog(files);
  const get = (id: string): Migration => migrations.find((m) => m.id === id) as Migration;

  it('uses the squash on a fresh database, and a dependency on a replaced id waits for the squash', () => {
    // Act
    const analysis = analyse(migrations, []);
    // Assess
    expect(ids(analysis.steps)).toEqual(['apply a/0003_squashed', 'apply a/0004_after', 'apply b/0001_uses_y']);
    expect(analysis.replaced).toEqual(['a/0001_x', 'a/0002_y', 'a/0003_z']);
  });

  it('records the squash without running it when all replaced migrations are applied', () => {
    // Prepare
    const ledger = ['a/0001_x', 'a/0002_y', 'a/0003_z'].map((id) => row(get(id)));
    // Act
    const steps = plan(migrations, ledger);
    // Assess
    expect(ids(steps)).toEqual(['record a/0003_squashed', 'apply a/0004_after', 'apply b/0001_uses_y']);
  });

  it('runs the remaining originals when only some are applied, then records the squash', () => {
    // Prepare
    const ledger = [row(get('a/0001_x'))];
    // Act
    const steps = plan(migrations, ledger);
    // Assess
    expect(ids(steps)).toEqual(['apply a/0002_y', 'apply a/0003_z', 'record a/0003_squashed', 'apply a/0004_after', 'apply b/0001_uses_y']);
  });

  it('refuses when only some are applied and the remaining originals were pruned', () => {
    // Prepare
    const pruned = catalog({ 'a/0003_squashed.sql': files['a/0003_squashed.sql'], 'a/0004_after.sql': files['a/0004_after.sql'] });
    const ledger = [row(get('a/0001_x'))];
    // Act
    const analysis = analyse(pruned, ledger);
    // Assess
    expect(analysis.incompleteSquashes).toEqual([{ squash: 'a/0003_squashed', applied: ['a/0001_x'], missing: ['a/0002_y', 'a/0003_z'] }]);
    expect(codeOf(() => plan(pruned, ledger))).toBe('SQUASH_INCOMPLETE');
  });

  it('accepts applied originals that were pruned once the squash is applied', () => {
    // Prepare
    const pruned = catalog({ 'a/0003_squashed.sql': files['a/0003_squashed.sql'], 'a/0004_after.sql': files['a/0004_after.sql'] });
    const ledger = [row(get('a/0001_x')), row(get('a/0002_y')), row(get('a/0003_z')), row(get('a/0003_squashed'), { method: 'recorded' })];
    // Act
    const steps = plan(pruned, ledger);
    // Assess
    expect(ids(steps)).toEqual(['apply a/0004_after']);
  });
});
