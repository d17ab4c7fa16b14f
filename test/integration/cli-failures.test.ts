import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabase, useTestDatabase } from '../support/database';
import { cliEnv, cliJson, runCli, startCli, useWorkspace, type ProcessResult } from '../support/workspace';

describe('Integration: the CLI on folders and databases it cannot use', () => {
  const db = useTestDatabase('file');
  const ws = useWorkspace();

  it('lint refuses a migration it cannot read and a file not named as one, instead of passing them over', async () => {
    // Prepare: a good migration, a folder and a dangling link where migrations should be, two bad names
    const folder = ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE t (id int);', 'a/0002-two.sql': 'SELECT 1;', 'a/init.sql': 'SELECT 1;' });
    mkdirSync(join(folder, 'a/0003_dir.sql'));
    symlinkSync(join(ws.dir, 'nowhere.sql'), join(folder, 'a/0004_link.sql'));
    // Act
    const machine = await runCli(['lint', '--json'], { cwd: ws.dir });
    const human = await runCli(['lint'], { cwd: ws.dir });
    // Assess
    expect(machine.code).toBe(1);
    const error = cliJson(machine.stdout).error;
    expect(error.code).toBe('MIGRATIONS_INVALID');
    expect(error.problems.map((p: { code: string; file: string }) => [p.code, p.file])).toEqual([
      ['BAD_NAME', 'a/0002-two.sql'],
      ['UNREADABLE', 'a/0003_dir.sql'],
      ['UNREADABLE', 'a/0004_link.sql'],
      ['BAD_NAME', 'a/init.sql'],
    ]);
    expect(human.code).toBe(1);
    expect(human.stdout).toBe('');
    expect(human.stderr).toContain('a/0004_link.sql [UNREADABLE]');
  });

  it.each([['bundle'], ['lint'], ['status', '--database-url', 'postgres://app:pw@127.0.0.1:1/app']])('%s says a --dir naming a file or a device is not a folder, not that it is missing', async (...argv) => {
    // Prepare
    const file = join(ws.dir, 'migrations.sql');
    writeFileSync(file, 'CREATE TABLE t (id int);');
    // Act
    const results = [await runCli([...argv, '--dir', file, '--json'], { cwd: ws.dir }), await runCli([...argv, '--dir', '/dev/null', '--json'], { cwd: ws.dir })];
    // Assess
    expect(results.map((r) => r.code)).toEqual([1, 1]);
    expect(cliJson(results[0]?.stdout ?? '').error).toMatchObject({ code: 'BUNDLE_NOT_FOUND', message: expect.stringContaining(`${file} is not a folder`) });
    expect(cliJson(results[1]?.stdout ?? '').error).toMatchObject({ code: 'BUNDLE_NOT_FOUND', message: expect.stringContaining('/dev/null is not a folder') });
  });

  it('status after a failed catch-up run says the last run failed, at which file and line, and what it kept', async () => {
    // Prepare: a fresh database of its own; the third of four migrations fails
    const stage = await createTestDatabase();
    ws.migrations({
      'a/0001_init.sql': 'CREATE TABLE t (id int);',
      'a/0002_more.sql': 'ALTER TABLE t ADD COLUMN n int;',
      'a/0003_bad.sql': '-- the broken one\nALTER TABLE t ADD COLUMN n int;',
      'b/0001_other.sql': '-- stagegate:depends-on a/0003_bad\nCREATE TABLE o (id int);',
    });
    try {
      expect((await runCli(['migrate', '--database-url', stage.url], { cwd: ws.dir })).code).toBe(1);
      // Act
      const human = await runCli(['status', '--database-url', stage.url], { cwd: ws.dir });
      const machine = await runCli(['status', '--json', '--database-url', stage.url], { cwd: ws.dir });
      // Assess
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/Last run #\d+ \(migrate by [^,]+, started \S+\) failed: MIGRATION_FAILED at a\/0003_bad\.sql:2 \(a\/0003_bad\); it applied 2 migration\(s\) before, which stay applied\./);
      expect(cliJson(machine.stdout).lastRun).toMatchObject({
        action: 'migrate',
        outcome: 'failed',
        applied: ['a/0001_init', 'a/0002_more'],
        error: { code: 'MIGRATION_FAILED', migration: 'a/0003_bad', file: 'a/0003_bad.sql', line: 2 },
      });
      expect((await runCli(['migrate', '--database-url', stage.url], { cwd: ws.dir, })).code).toBe(1);
      ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE t (id int);', 'a/0002_more.sql': 'ALTER TABLE t ADD COLUMN n int;', 'a/0003_bad.sql': '-- fixed\nALTER TABLE t ADD COLUMN m int;', 'b/0001_other.sql': '-- stagegate:depends-on a/0003_bad\nCREATE TABLE o (id int);' });
      expect((await runCli(['migrate', '--database-url', stage.url], { cwd: ws.dir })).code).toBe(0);
      const after = await runCli(['status', '--json', '--database-url', stage.url], { cwd: ws.dir });
      expect(cliJson(after.stdout).lastRun).toMatchObject({ outcome: 'succeeded', applied: ['a/0003_bad', 'b/0001_other'], error: null });
      expect((await runCli(['status', '--database-url', stage.url], { cwd: ws.dir })).stdout).not.toContain('Last run');
    } finally {
      await stage.drop();
    }
  });

  it('names the server and the certificate file a connection URL names but that cannot be read, not "?@?:?/?"', async () => {
    // Prepare
    ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE t (id int);' });
    const missing = join(ws.dir, 'no-such-ca.pem');
    const url = `postgres://app:Cert%40pw@127.0.0.1:1/app_db?sslmode=verify-full&sslrootcert=${encodeURIComponent(missing)}`;
    // Act
    const machine = await runCli(['status', '--json', '--database-url', url], { cwd: ws.dir });
    const human = await runCli(['migrate', '--database-url', url], { cwd: ws.dir });
    // Assess
    expect(machine.code).toBe(1);
    expect(cliJson(machine.stdout).error).toMatchObject({
      code: 'DATABASE_UNREACHABLE',
      target: 'app@127.0.0.1:1/app_db',
      message: `Cannot connect to PostgreSQL at app@127.0.0.1:1/app_db: the file ${missing} that the connection settings name (sslcert, sslkey or sslrootcert) cannot be read (ENOENT).`,
      remedy: expect.stringContaining('Fix the path in the connection URL'),
    });
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('target: app@127.0.0.1:1/app_db');
    expect(machine.stdout + machine.stderr + human.stdout + human.stderr).not.toMatch(/Cert@pw|Cert%40pw/);
  });

  it('publish and --stage without AWS credentials say so, instead of pointing at the bucket', async () => {
    // Prepare: no credentials anywhere the SDK looks
    ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE t (id int);' });
    const none = join(ws.dir, 'no-aws');
    const env = {
      ...Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('AWS_')).map((k) => [k, undefined])),
      AWS_REGION: 'eu-west-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: none,
      AWS_SHARED_CREDENTIALS_FILE: none,
    };
    // Act
    const publish = await runCli(['publish', '--bucket', 'my-deploys', '--json'], { cwd: ws.dir, env });
    const stage = await runCli(['status', '--stage', 'dev', '--function', 'svc-dev-migrate', '--bucket', 'my-deploys'], { cwd: ws.dir, env });
    // Assess
    expect([publish.code, stage.code]).toEqual([1, 1]);
    expect(cliJson(publish.stdout).error).toMatchObject({ code: 'BUNDLE_PUBLISH_FAILED', remedy: expect.stringMatching(/^No valid AWS credentials: .*AWS_PROFILE/) });
    expect(stage.stderr).toContain('error BUNDLE_PUBLISH_FAILED');
    expect(stage.stderr).toMatch(/what to do: No valid AWS credentials/);
  });

  it('check names the server of its scratch database as user@host:port/database, without the password', async () => {
    // Prepare
    ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE checked (id int);', 'a/0001_init.down.sql': 'DROP TABLE checked;' });
    const url = new URL(db.url);
    // Act
    const result = await runCli(['check', '--database-url', db.url], { cwd: ws.dir });
    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^target: scratch database postgres@127\\.0\\.0\\.1:${url.port}/stagegate_scratch_stagegate_check_[0-9a-f]+$`, 'm'));
    expect(result.stdout + result.stderr).not.toContain(decodeURIComponent(url.password));
  });

  it.each([['status'], ['status', '--json'], ['migrate', '--verbose']])('finishes %p with its own exit code when the reader of its output has gone, without a stack trace', async (...argv) => {
    // Prepare
    ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE piped (id int);' });
    const env = cliEnv(db.url);
    // Act: the reader closes the pipe before anything is written (`stagegate status | head -0`)
    const started = startCli(argv, { cwd: ws.dir, env });
    started.child.stdout?.destroy();
    const result = await started.done;
    const after = await runCli(['status', '--json'], { cwd: ws.dir, env });
    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/EPIPE|Unhandled|\n {4}at /);
    expect(cliJson(after.stdout).migrations).toEqual([expect.objectContaining({ id: 'a/0001_init', state: argv[0] === 'migrate' ? 'applied' : 'pending' })]);
  });

  describe('a password with @, :, / and % in it', () => {
    const password = 'Pw@x:y/z%1!q';
    const role = `cli_secret_${Math.random().toString(36).slice(2, 8)}`;
    const withPassword = (pw: string, database = db.name): string => {
      const url = new URL(db.url);
      url.username = role;
      url.password = encodeURIComponent(pw);
      url.pathname = `/${database}`;
      return url.toString();
    };
    const leaks = (text: string): boolean => [password, encodeURIComponent(password), 'Pw@x', 'z%1!q', 'z%251'].some((p) => text.includes(p));
    const printed = (r: ProcessResult): string => r.stdout + r.stderr;

    beforeAll(async () => {
      await db.query(`create role ${pg.escapeIdentifier(role)} login createdb password '${password}'`);
      await db.query(`grant all on database ${pg.escapeIdentifier(db.name)} to ${pg.escapeIdentifier(role)}`);
      await db.query(`grant create on schema public to ${pg.escapeIdentifier(role)}`);
    });

    it('connects with it URL-encoded, and no output, error or ledger row of any command repeats it', async () => {
      // Prepare: one migration that applies, one that fails
      ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE secret_t (id int);', 'a/0002_bad.sql': 'SELECT 1/0;' });
      const env = { STAGEGATE_SCHEMA: `cli_${role}` };
      const good = withPassword(password);
      // Act
      const runs: ProcessResult[] = [];
      for (const argv of [['migrate'], ['status'], ['plan'], ['drift'], ['plan', '--rehearse'], ['resolve', 'a/0002_bad', '--applied'], ['adopt', 'a/0002_bad']]) {
        runs.push(await runCli([...argv, '--database-url', good], { cwd: ws.dir, env }));
        runs.push(await runCli([...argv, '--json', '--verbose'], { cwd: ws.dir, env: { ...env, DATABASE_URL: good } }));
      }
      const failures = [
        await runCli(['migrate', '--json', '--verbose', '--database-url', withPassword(`${password}-wrong`)], { cwd: ws.dir, env }),
        await runCli(['status', '--json', '--database-url', withPassword(password, 'no_such_database')], { cwd: ws.dir, env }),
        await runCli(['check', '--json', '--database-url', good], { cwd: ws.dir, env }),
      ];
      const ledger = await db.query(`select * from ${pg.escapeIdentifier(env.STAGEGATE_SCHEMA)}.runs`);
      // Assess
      expect(cliJson(runs[0 + 1]?.stdout ?? '')).toMatchObject({ ok: false, error: { code: 'MIGRATION_FAILED', migration: 'a/0002_bad' } });
      expect(runs[0]?.stdout).toContain(`target: ${role}@127.0.0.1:`);
      expect(failures.map((r) => cliJson(r.stdout).error.code)).toEqual(['DATABASE_AUTH_FAILED', 'DATABASE_UNREACHABLE', 'CHECK_FAILED']);
      expect(ledger.map((row) => row.action)).toEqual(expect.arrayContaining(['migrate', 'resolve']));
      expect(ledger.filter((row) => row.error !== null).length).toBeGreaterThan(1);
      expect([...runs, ...failures].filter((r) => leaks(printed(r)))).toEqual([]);
      expect(leaks(JSON.stringify(ledger))).toBe(false);
    });
  });
});
