import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { urlFor, useTestDatabase } from '../support/database';
import { cliJson, REPO_MIGRATIONS, runCli, useWorkspace } from '../support/workspace';

describe('Integration: stagegate new', () => {
  const ws = useWorkspace();

  it('starts a new app at 0001 with an empty reverse script', async () => {
    // Act
    const result = await runCli(['new', 'billing', 'invoices', '--json'], { cwd: ws.dir });
    // Assess
    expect(result.code).toBe(0);
    const out = cliJson(result.stdout);
    expect(out).toMatchObject({ ok: true, action: 'new', id: 'billing/0001_invoices' });
    expect(out.file).toBe(join(ws.dir, 'migrations', 'billing', '0001_invoices.sql'));
    expect(readFileSync(out.downFile, 'utf8')).toBe('');
    expect(readFileSync(out.file, 'utf8')).not.toContain('stagegate:depends-on');
  });

  it('numbers after the highest migration of the app, in its width, with the dependencies', async () => {
    // Prepare
    ws.migrations({ 'shop/0001_a.sql': '', 'shop/0009_b.sql': '', 'shop/0009_b.down.sql': '', 'wide/00007_x.sql': '', 'other/0001_base.sql': '' });
    // Act
    const human = await runCli(['new', 'shop', 'orders', '--depends-on', 'other/0001_base', '--depends-on', 'wide/00007_x'], { cwd: ws.dir });
    const wide = cliJson((await runCli(['new', 'wide', 'y', '--json'], { cwd: ws.dir })).stdout);
    // Assess
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('Created shop/0010_orders\n  migrations/shop/0010_orders.sql\n  migrations/shop/0010_orders.down.sql');
    const sql = readFileSync(join(ws.dir, 'migrations', 'shop', '0010_orders.sql'), 'utf8');
    expect(sql.split('\n').slice(0, 2)).toEqual(['-- stagegate:depends-on other/0001_base', '-- stagegate:depends-on wide/00007_x']);
    expect(wide.id).toBe('wide/00008_y');
    // The new files build with the rest of the folder.
    expect((await runCli(['bundle', '--json'], { cwd: ws.dir })).code).toBe(0);
  });

  it('refuses a name the app already has, an unknown dependency and a bad name, writing nothing', async () => {
    // Prepare
    ws.migrations({ 'shop/0001_orders.sql': 'CREATE TABLE o (id int);' });
    // Act
    const again = await runCli(['new', 'shop', 'orders', '--json'], { cwd: ws.dir });
    const unknown = await runCli(['new', 'shop', 'items', '--depends-on', 'shop/0007_nope'], { cwd: ws.dir });
    const badName = await runCli(['new', 'shop', 'Items'], { cwd: ws.dir });
    // Assess
    expect(again.code).toBe(1);
    expect(cliJson(again.stdout).error).toMatchObject({ code: 'MIGRATION_EXISTS', file: 'shop/0001_orders.sql' });
    expect([unknown.code, badName.code]).toEqual([2, 2]);
    expect(unknown.stderr).toContain('shop/0007_nope: no such migration');
    expect(existsSync(join(ws.dir, 'migrations', 'shop', '0002_orders.sql'))).toBe(false);
    expect(existsSync(join(ws.dir, 'migrations', 'shop', '0002_items.sql'))).toBe(false);
    expect(readFileSync(join(ws.dir, 'migrations', 'shop', '0001_orders.sql'), 'utf8')).toBe('CREATE TABLE o (id int);');
  });
});

describe('Integration: stagegate new and bundle on folders they cannot use', () => {
  const ws = useWorkspace();

  it('answers at once with an error naming the folder, for a tree that takes no folders or a file', async () => {
    // Prepare: /proc takes no new folders (recursive mkdir retried forever there) and is a deep tree (a full listing never ended)
    ws.migrations({ 'shop/0001_orders.sql': 'CREATE TABLE o (id int);' });
    const file = join(ws.dir, 'migrations', 'shop', '0001_orders.sql');
    // Act
    const started = Date.now();
    const proc = await runCli(['new', 'app', 'x', '--dir', '/proc/self', '--json'], { cwd: ws.dir });
    const human = await runCli(['new', 'app', 'x', '--dir', '/proc'], { cwd: ws.dir });
    const intoFile = await runCli(['new', 'app', 'x', '--dir', file, '--json'], { cwd: ws.dir });
    const elapsed = Date.now() - started;
    // Assess
    expect([proc.code, human.code, intoFile.code]).toEqual([2, 2, 2]);
    expect(cliJson(proc.stdout).error).toMatchObject({ code: 'USAGE', message: expect.stringContaining('cannot create the folder /proc/self/app') });
    expect(cliJson(proc.stdout).error.remedy).toContain('--dir');
    expect(human.stderr).toContain('/proc/app');
    expect(cliJson(intoFile.stdout).error).toMatchObject({ code: 'USAGE', message: expect.stringContaining(`${file} is not a folder`) });
    expect(elapsed).toBeLessThan(15_000);
    expect(readFileSync(file, 'utf8')).toBe('CREATE TABLE o (id int);');
  }, 30_000);

  it('bundle and lint read an app folder that is a link to a folder elsewhere', async () => {
    // Prepare: migrations/shop is a link to a folder outside the migrations folder
    const migrations = ws.migrations({ 'base/0001_base.sql': 'CREATE TABLE base (id int);' });
    const elsewhere = join(ws.dir, 'shared-shop');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, '0001_orders.sql'), 'CREATE TABLE orders (id int);');
    symlinkSync(elsewhere, join(migrations, 'shop'));
    // Act
    const bundled = await runCli(['bundle', '--out', join(ws.dir, 'b.json.gz'), '--json'], { cwd: ws.dir });
    const linted = await runCli(['lint', '--json'], { cwd: ws.dir });
    // Assess: both apps, the linked one included
    expect(bundled.code).toBe(0);
    expect(cliJson(bundled.stdout)).toMatchObject({ ok: true, migrations: 2 });
    expect(cliJson(linted.stdout)).toMatchObject({ ok: true, files: 2 });
  });

  it('bundle reads such a tree to its end (Node\'s recursive listing of /proc/self never ended), finding no migration, and refuses an --out there at once', async () => {
    // Prepare
    ws.migrations({ 'shop/0001_orders.sql': 'CREATE TABLE o (id int);' });
    // Act
    const read = await runCli(['bundle', '--dir', '/proc/self', '--out', join(ws.dir, 'empty.json.gz'), '--json'], { cwd: ws.dir });
    const written = await runCli(['bundle', '--dir', join(ws.dir, 'migrations'), '--out', '/proc/self/x/b.json.gz', '--json'], { cwd: ws.dir });
    // Assess
    expect(read.code).toBe(1);
    expect(cliJson(read.stdout).error).toMatchObject({ code: 'NO_MIGRATIONS', message: expect.stringContaining('/proc/self holds no migration') });
    expect(written.code).toBe(2);
    expect(cliJson(written.stdout).error).toMatchObject({ code: 'USAGE', message: expect.stringContaining('cannot write /proc/self/x/b.json.gz') });
  }, 30_000);
});

describe('Integration: stagegate lint and check', () => {
  const db = useTestDatabase('file');
  const ws = useWorkspace();

  /** `stagegate check --json --database-url` on these files: the exit code and the error (or result) object. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test assertions walk arbitrary JSON
  const check = async (files: Record<string, string>): Promise<{ code: number | null; error: Record<string, any>; out: Record<string, any> }> => {
    ws.migrations(files);
    const result = await runCli(['check', '--json', '--database-url', db.url], { cwd: ws.dir });
    const out = cliJson(result.stdout);
    return { code: result.code, error: out.error, out };
  };

  const scratchDatabases = async (): Promise<string[]> =>
    (await db.query<{ datname: string }>("select datname from pg_database where datname like 'stagegate_scratch_stagegate_check_%'")).map((r) => r.datname);

  it('lint lists every finding with file, line and column, and exits 1', async () => {
    // Prepare
    ws.migrations({ 'shop/0001_a.sql': 'CREATE TABLE a (id int);', 'shop/0002_b.sql': 'SELECT 1;\nALTER TABLE a DROP COLUMN id;\nSELEC 2;' });
    // Act
    const machine = await runCli(['lint', '--json'], { cwd: ws.dir });
    const human = await runCli(['lint'], { cwd: ws.dir });
    // Assess
    expect(machine.code).toBe(1);
    const error = cliJson(machine.stdout).error;
    expect(error.code).toBe('LINT_FAILED');
    expect(error.findings.map((f: { rule: string; line: number }) => [f.rule, f.line])).toEqual([
      ['drop-column', 2],
      ['syntax-error', 3],
    ]);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('shop/0002_b.sql:2:1 drop-column drops column a.id');
    expect(human.stderr).toContain('Lint found 2 problems in 1 file');
  });

  it('check reports a conflict, a cycle, a lint finding and a missing reverse script together', async () => {
    // Prepare
    const files = {
      'a/0001_x.sql': '-- stagegate:irreversible\n',
      'a/0002_left.sql': '-- stagegate:irreversible\n',
      'a/0002_right.sql': '-- stagegate:irreversible\n',
      'b/0001_p.sql': '-- stagegate:depends-on c/0001_q\n-- stagegate:irreversible\n',
      'c/0001_q.sql': '-- stagegate:depends-on b/0001_p\n-- stagegate:irreversible\n',
      'd/0001_t.sql': 'CREATE TABLE d_t (id int);',
      'd/0001_t.down.sql': 'DROP TABLE d_t;',
      'd/0002_idx.sql': 'CREATE INDEX d_t_id ON d_t (id);',
    };
    // Act
    const result = await check(files);
    // Assess
    expect(result.code).toBe(1);
    const { error } = result;
    expect(error.code).toBe('CHECK_FAILED');
    const found = error.problems.map((p: { kind: string; code: string; file: string }) => `${p.kind} ${p.code} ${p.file}`).sort();
    expect(found).toEqual([
      'bundle CONFLICT a/0002_left.sql',
      'bundle CYCLE b/0001_p.sql',
      'lint index-not-concurrent d/0002_idx.sql',
      'reverse MISSING_REVERSE d/0002_idx.sql',
    ]);
    // A folder that does not build is not applied anywhere.
    expect(error.database).toBeNull();
  });

  it('check applies the history to a scratch database, reports the migration that fails, and drops it', async () => {
    // Prepare
    const files = {
      'shop/0001_orders.sql': '-- stagegate:irreversible\nCREATE TABLE check_orders (id int);',
      'shop/0002_items.sql': '-- stagegate:irreversible\nCREATE TABLE check_items (id int);\nINSERT INTO check_missing VALUES (1);',
    };
    // Act
    const result = await check(files);
    // Assess
    expect(result.code).toBe(1);
    const { error } = result;
    expect(error.problems).toEqual([
      expect.objectContaining({ kind: 'database', code: 'MIGRATION_FAILED', file: 'shop/0002_items.sql', line: 3, message: expect.stringContaining('check_missing') }),
    ]);
    expect(await scratchDatabases()).toEqual([]);
    expect(await db.query("select 1 from pg_tables where tablename = 'check_orders'")).toEqual([]);
  });

  it('check reverts the whole history and names the reverse script that fails, at its line', async () => {
    // Prepare
    const files = {
      'shop/0001_orders.sql': 'CREATE TABLE rt_orders (id int);',
      'shop/0001_orders.down.sql': 'DROP TABLE rt_orders;',
      'shop/0002_items.sql': 'CREATE TABLE rt_items (id int);',
      'shop/0002_items.down.sql': 'DROP TABLE rt_items;\nDROP TABLE rt_items_missing;',
    };
    // Act
    const result = await check(files);
    // Assess
    expect(result.code).toBe(1);
    const { error } = result;
    expect(error.problems).toEqual([
      expect.objectContaining({ kind: 'reverse', code: 'REVERSE_FAILED', file: 'shop/0002_items.down.sql', line: 2, message: expect.stringContaining('rt_items_missing') }),
    ]);
    expect(error.database).toMatchObject({ applied: 2, reverted: null, reverseSkipped: 'a reverse script failed' });
    expect(await scratchDatabases()).toEqual([]);
  });

  it('check names the reverse script that leaves an object behind', async () => {
    // Prepare: 0002's reverse script forgets its table; a later migration names it too
    const files = {
      'shop/0001_orders.sql': 'CREATE TABLE lo_orders (id int);',
      'shop/0001_orders.down.sql': 'DROP TABLE lo_orders;',
      'shop/0002_audit.sql': 'CREATE TABLE lo_audit (id int, at timestamptz);\nALTER TABLE lo_orders ADD COLUMN note text;',
      'shop/0002_audit.down.sql': 'ALTER TABLE lo_orders DROP COLUMN note;',
      'shop/0003_later.sql': '-- mentions lo_audit too, later\nSELECT 1;',
      'shop/0003_later.down.sql': 'SELECT 1;',
    };
    // Act
    const result = await check(files);
    // Assess: one problem for the table, none more for its columns
    expect(result.code).toBe(1);
    const { problems } = result.error;
    expect(problems.map((p: { code: string; file: string; message: string }) => [p.code, p.file, p.message.split(' added')[0]])).toEqual([
      ['REVERSE_LEFTOVER', 'shop/0002_audit.down.sql', 'table public.lo_audit'],
    ]);
  });

  it('check says why the round trip did not run when a migration is irreversible', async () => {
    const result = await check({ 'shop/0001_orders.sql': '-- stagegate:irreversible\nCREATE TABLE irr_orders (id int);' });
    expect(result.code).toBe(0);
    expect(result.out).toMatchObject({ database: { applied: 1, reverted: null }, reverse: expect.stringContaining('shop/0001_orders') });
  });

  it('check passes on the repository\'s own migrations, applied to an empty database', async () => {
    // Act
    const result = await runCli(['check', '--dir', REPO_MIGRATIONS, '--database-url', db.url, '--json'], { cwd: ws.dir });
    const human = await runCli(['check', '--dir', REPO_MIGRATIONS], { cwd: ws.dir });
    // Assess
    expect(result.code).toBe(0);
    const out = cliJson(result.stdout);
    expect(out).toMatchObject({ ok: true, action: 'check', migrations: 4, problems: [], database: { applied: 4, reverted: 4, reverseSkipped: null } });
    expect(out.reverse).toBe('reverted 4 migration(s); compared with the empty database');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('Check passed: 4 migrations');
    expect(human.stdout).toContain('reverse round trip: not checked: give --database-url');
    expect(await scratchDatabases()).toEqual([]);
  });

  it('check says what to do when the role may not create databases', async () => {
    // Prepare
    const role = `check_nocreatedb_${Math.random().toString(36).slice(2, 8)}`;
    await db.query(`create role ${pg.escapeIdentifier(role)} login password 'pw' nocreatedb`);
    const url = new URL(urlFor(db.name, db.url));
    url.username = role;
    url.password = 'pw';
    ws.migrations({ 'shop/0001_orders.sql': '-- stagegate:irreversible\nCREATE TABLE o (id int);' });
    try {
      // Act
      const result = await runCli(['check', '--json', '--database-url', url.toString()], { cwd: ws.dir });
      const human = await runCli(['check', '--database-url', url.toString()], { cwd: ws.dir });
      const refused = await runCli(['check', '--database-url', `postgres://${role}:pw@127.0.0.1:1/app`], { cwd: ws.dir });
      // Assess
      expect(result.code).toBe(1);
      const error = cliJson(result.stdout).error;
      expect(error).toMatchObject({ code: 'SCRATCH_DATABASE_FAILED', sqlstate: '42501', server: `${role}@127.0.0.1:${url.port}/${db.name}` });
      expect(error.remedy).toContain('CREATEDB');
      // Like every command that connects, the output names the target (server and user) before the server answers
      expect(human.code).toBe(1);
      expect(human.stdout).toMatch(new RegExp(`^target: scratch database ${role}@127\\.0\\.0\\.1:${url.port}/stagegate_scratch_stagegate_check_[0-9a-f]+$`, 'm'));
      expect(result.stderr).toContain(`target: scratch database ${role}@127.0.0.1:${url.port}/`);
      expect([refused.code, refused.stdout]).toEqual([1, expect.stringMatching(new RegExp(`^target: scratch database ${role}@127\\.0\\.0\\.1:1/stagegate_scratch_`, 'm'))]);
      expect(refused.stderr).toContain('DATABASE_UNREACHABLE');
      expect([result, human, refused].map((r) => r.stdout + r.stderr).join('')).not.toContain(':pw@');
    } finally {
      await db.query(`drop role ${pg.escapeIdentifier(role)}`);
    }
  });
});
