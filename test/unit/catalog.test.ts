import { buildCatalog, type SourceFile } from '../../lib/core/catalog';
import { MigrationsInvalidError, type FolderProblem } from '../../lib/core/errors';

const file = (path: string, content = 'SELECT 1;'): SourceFile => ({ path, content });

function problemsOf(files: SourceFile[]): FolderProblem[] {
  try {
    buildCatalog(files);
  } catch (error) {
    if (error instanceof MigrationsInvalidError) return [...error.problems];
    throw error;
  }
  throw new Error('expected MigrationsInvalidError');
}

describe('Function: buildCatalog', () => {
  it('builds ids, files, reverse scripts and sorts by app then number value', () => {
    // Prepare
    const files = [
      file('shop/0010_later.sql'),
      file('shop/0009_earlier.sql'),
      file('shop/0009_earlier.down.sql', 'DROP TABLE x;'),
      file('auth/0001_initial.sql'),
      file('README.md', '# not a migration'),
    ];
    // Act
    const migrations = buildCatalog(files);
    // Assess
    expect(migrations.map((m) => m.id)).toEqual(['auth/0001_initial', 'shop/0009_earlier', 'shop/0010_later']);
    expect(migrations[1]).toMatchObject({ app: 'shop', number: '0009', name: 'earlier', file: 'shop/0009_earlier.sql', downSql: 'DROP TABLE x;' });
    expect(migrations[2]?.downSql).toBeNull();
  });

  it('makes each migration depend on every migration of the next lower number in its app', () => {
    // Prepare: two branches both added 0002, merged by 0003
    const files = [file('a/0001_x.sql'), file('a/0002_left.sql'), file('a/0002_right.sql'), file('a/0003_merge.sql', '')];
    // Act
    const byId = new Map(buildCatalog(files).map((m) => [m.id, m]));
    // Assess
    expect(byId.get('a/0001_x')?.dependencies).toEqual([]);
    expect(byId.get('a/0002_left')?.dependencies).toEqual(['a/0001_x']);
    expect(byId.get('a/0003_merge')?.dependencies).toEqual(['a/0002_left', 'a/0002_right']);
  });

  it('adds explicit cross-app dependencies from directives', () => {
    // Prepare
    const files = [file('org/0001_initial.sql'), file('member/0001_initial.sql', '-- stagegate:depends-on org/0001_initial\nCREATE TABLE m (id int);')];
    // Act
    const member = buildCatalog(files).find((m) => m.app === 'member');
    // Assess
    expect(member?.dependencies).toEqual(['org/0001_initial']);
    expect(member?.directives.dependsOn).toEqual(['org/0001_initial']);
  });

  it('gives CRLF and LF files the same checksum', () => {
    // Prepare
    const lf = buildCatalog([file('a/0001_x.sql', 'CREATE TABLE t (\n  id int\n);\n')]);
    // Act
    const crlf = buildCatalog([file('a/0001_x.sql', 'CREATE TABLE t (\r\n  id int\r\n);\r\n')]);
    // Assess
    expect(crlf[0]?.checksum).toBe(lf[0]?.checksum);
    expect(lf[0]?.checksum).toMatch(/^v1:[0-9a-f]{64}$/);
  });

  it('reports a conflict at the highest number, naming both files and the merge to add', () => {
    // Act
    const problems = problemsOf([file('a/0001_x.sql'), file('a/0002_left.sql'), file('a/0002_right.sql')]);
    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'CONFLICT', file: 'a/0002_left.sql' });
    expect(problems[0]?.message).toContain('a/0002_right.sql');
    expect(problems[0]?.message).toContain('a/0003_merge.sql');
  });

  it('names the whole cycle', () => {
    // Prepare
    const files = [
      file('a/0001_x.sql', '-- stagegate:depends-on b/0001_y\nSELECT 1;'),
      file('b/0001_y.sql', '-- stagegate:depends-on a/0001_x\nSELECT 1;'),
    ];
    // Act
    const problems = problemsOf(files);
    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]?.code).toBe('CYCLE');
    expect(problems[0]?.message).toMatch(/a\/0001_x -> b\/0001_y -> a\/0001_x|b\/0001_y -> a\/0001_x -> b\/0001_y/);
  });

  it('reports every problem of the folder at once, each with its file', () => {
    // Prepare
    const files: SourceFile[] = [
      file('Bad/0001_x.sql'),
      file('a/001_short.sql'),
      file('a/0001_ok.sql', '-- stagegate:depends-on zzz/0001_missing\n-- stagegate:frobnicate\nSELECT 1;'),
      file('a/0002_self.sql', '-- stagegate:depends-on a/0002_self\nSELECT 1;'),
      file('a/0003_orphan.down.sql'),
      { path: 'a/0004_unreadable.sql', error: 'EACCES: permission denied' },
      file('a/0005_late.sql', 'SELECT 1;\n-- stagegate:no-transaction\n'),
      file('a/0006_bad.sql', '-- stagegate:depends-on not-an-id\nSELECT 1;'),
      file('toplevel.sql'),
    ];
    // Act
    const problems = problemsOf(files);
    // Assess
    const summary = problems.map((p) => `${p.code} ${p.file}`).sort();
    expect(summary).toEqual(
      [
        'BAD_NAME Bad/0001_x.sql',
        'BAD_NAME a/001_short.sql',
        'UNKNOWN_DEPENDENCY a/0001_ok.sql',
        'BAD_DIRECTIVE a/0001_ok.sql',
        'CYCLE a/0002_self.sql',
        'ORPHAN_DOWN a/0003_orphan.down.sql',
        'UNREADABLE a/0004_unreadable.sql',
        'BAD_DIRECTIVE a/0005_late.sql',
        'BAD_DIRECTIVE a/0006_bad.sql',
        'BAD_NAME toplevel.sql',
      ].sort(),
    );
    expect(problems.find((p) => p.file === 'a/0005_late.sql')?.line).toBe(2);
  });

  it('lets a squash stand beside the migrations it replaces without a conflict', () => {
    // Prepare
    const files = [
      file('a/0001_x.sql'),
      file('a/0002_y.sql'),
      file('a/0002_squashed.sql', '-- stagegate:replaces a/0001_x a/0002_y\nSELECT 1;'),
      file('a/0003_z.sql'),
    ];
    // Act
    const byId = new Map(buildCatalog(files).map((m) => [m.id, m]));
    // Assess
    expect(byId.get('a/0002_squashed')?.dependencies).toEqual([]);
    expect(byId.get('a/0003_z')?.dependencies).toEqual(['a/0002_squashed', 'a/0002_y']);
  });

  it('keeps a squash after its originals are pruned, and a dependency on a replaced id stays valid', () => {
    // Prepare
    const files = [
      file('a/0002_squashed.sql', '-- stagegate:replaces a/0001_x a/0002_y\nSELECT 1;'),
      file('a/0003_z.sql'),
      file('b/0001_w.sql', '-- stagegate:depends-on a/0001_x\nSELECT 1;'),
    ];
    // Act
    const byId = new Map(buildCatalog(files).map((m) => [m.id, m]));
    // Assess
    expect(byId.get('a/0003_z')?.dependencies).toEqual(['a/0002_squashed']);
    expect(byId.get('b/0001_w')?.dependencies).toEqual(['a/0001_x']);
  });

  it('refuses a squash that replaces another app, itself, or what another squash replaces', () => {
    // Prepare
    const files = [
      file('a/0001_x.sql'),
      file('a/0002_s1.sql', '-- stagegate:replaces a/0001_x b/0001_y a/0002_s1\nSELECT 1;'),
      file('a/0003_s2.sql', '-- stagegate:replaces a/0001_x\nSELECT 1;'),
      file('b/0001_y.sql'),
    ];
    // Act
    const problems = problemsOf(files).filter((p) => p.code === 'BAD_REPLACES');
    // Assess
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringContaining('b/0001_y belongs to another app'),
      expect.stringContaining('cannot replace itself'),
      expect.stringContaining('a/0001_x is already replaced by a/0002_s1'),
    ]);
  });

  it('plans a chain of 10,000 migrations without quadratic work', () => {
    // Prepare
    const files = Array.from({ length: 10_000 }, (_, i) => file(`big/${String(i + 1).padStart(5, '0')}_m.sql`, `CREATE TABLE t${i} (id int);`));
    // Act
    const started = performance.now();
    const migrations = buildCatalog(files);
    const elapsed = performance.now() - started;
    // Assess: correctness here; speed is measured by the benchmarks, this only guards against O(n^2)
    expect(migrations[9_999]?.dependencies).toEqual(['big/09999_m']);
    expect(elapsed).toBeLessThan(5_000);
  });
});
