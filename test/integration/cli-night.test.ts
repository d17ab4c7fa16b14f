import { setTimeout as sleep } from 'node:timers/promises';
import { useTestDatabase } from '../support/database';
import { cliEnv, cliJson, runCli, startCli, useWorkspace } from '../support/workspace';

describe('Integration: the CLI after a night of things going wrong', () => {
  const db = useTestDatabase('file');
  const ws = useWorkspace();

  /** Polls `sql` until it returns a row, for at most 20 s. */
  async function until(sql: string, params: unknown[] = []): Promise<void> {
    for (let tries = 0; tries < 200; tries += 1) {
      if ((await db.query(sql, params)).length > 0) return;
      await sleep(100);
    }
    throw new Error(`gave up waiting for: ${sql}`);
  }

  it('status says a run whose process was killed was abandoned, with what it applied, not that it is still running', async () => {
    // Prepare: the second migration sleeps; the CLI is killed while it does and its backend ends (as on a server restart)
    const env = cliEnv(db.url);
    ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE night (id int);', 'a/0002_slow.sql': 'CREATE TABLE night_slow (id int);\nSELECT pg_sleep(60);' });
    const started = startCli(['migrate'], { cwd: ws.dir, env });
    await until(`select 1 from pg_stat_activity where datname = current_database() and query like '%pg_sleep(60)%' and pid <> pg_backend_pid()`);
    started.child.kill('SIGKILL');
    await started.done;
    await db.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query like '%pg_sleep(60)%' and pid <> pg_backend_pid()`);
    await until(`select 1 where not exists (select 1 from pg_stat_activity where datname = current_database() and query like '%pg_sleep(60)%' and pid <> pg_backend_pid())`);
    // Act
    const machine = await runCli(['status', '--json'], { cwd: ws.dir, env });
    const human = await runCli(['status'], { cwd: ws.dir, env });
    // Assess
    expect(machine.code).toBe(0);
    expect(cliJson(machine.stdout).lastRun).toMatchObject({ outcome: 'abandoned', applied: ['a/0001_init'], finishedAt: null });
    expect(human.stdout).toMatch(/Last run #\d+ \(migrate by [^)]+\) was abandoned: its process died before it ended; it applied 1 migration\(s\) before, which stay applied\./);
    expect(human.stdout).not.toContain('still running');
    // The next run proceeds and the ledger keeps what the killed run applied
    expect((await runCli(['migrate'], { cwd: ws.dir, env: { ...env, STAGEGATE_STATEMENT_TIMEOUT_MS: '100' } })).code).toBe(1);
    const runs = await db.query(`select outcome, applied from ${JSON.stringify(env.STAGEGATE_SCHEMA)}.runs order by id`);
    expect(runs[0]).toEqual({ outcome: 'abandoned', applied: ['a/0001_init'] });
  });

  it('a migration a role may not run is said to need a privilege or the owner, not to need fixing, and runs as the owner afterwards', async () => {
    // Prepare: the owner applies the first migration; a role that may write the ledger but owns nothing runs the second
    const env = cliEnv(db.url);
    const role = `weak_${Math.random().toString(36).slice(2, 8)}`;
    ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE owned (id int);' });
    expect((await runCli(['migrate'], { cwd: ws.dir, env })).code).toBe(0);
    const schema = JSON.stringify(env.STAGEGATE_SCHEMA);
    await db.query(`create role ${role} login password 'weak'`);
    await db.query(`grant usage on schema ${schema} to ${role}; grant all on all tables in schema ${schema} to ${role}; grant all on all sequences in schema ${schema} to ${role}`);
    ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE owned (id int);', 'a/0002_alter.sql': 'ALTER TABLE owned ADD COLUMN n int;' });
    const weakUrl = new URL(db.url);
    weakUrl.username = role;
    weakUrl.password = 'weak';
    try {
      // Act
      const result = await runCli(['migrate', '--json'], { cwd: ws.dir, env: { ...env, DATABASE_URL: weakUrl.toString() } });
      // Assess
      expect(result.code).toBe(1);
      const error = cliJson(result.stdout).error;
      expect(error).toMatchObject({ code: 'MIGRATION_FAILED', sqlstate: '42501', migration: 'a/0002_alter', pgMessage: 'must be owner of table owned' });
      expect(error.remedy).toContain('lacks a privilege');
      expect(error.remedy).toContain('Run migrate as the role that owns the objects');
      expect(error.remedy).not.toContain('Fix the migration');
      expect((await runCli(['migrate'], { cwd: ws.dir, env })).code).toBe(0);
    } finally {
      await db.query(`drop owned by ${role}; drop role ${role}`);
    }
  });

  it('a no-transaction migration cut by lock_timeout says to settle it before running again, and following that works', async () => {
    // Prepare: another session holds the table the no-transaction migration alters
    const env = cliEnv(db.url);
    await db.query('create table locked_night (id int)');
    ws.migrations({ 'a/0001_nt.sql': '-- stagegate:no-transaction\nALTER TABLE locked_night ADD COLUMN n int;\nALTER TABLE locked_night ADD COLUMN m int;' });
    const holder = await db.connect();
    await holder.query('begin; lock table locked_night in access exclusive mode');
    try {
      // Act
      const failed = await runCli(['migrate', '--json', '--lock-timeout', '500'], { cwd: ws.dir, env });
      // Assess: the remedy's first step is resolve, the blocking session comes after it
      expect(failed.code).toBe(1);
      const remedy: string = cliJson(failed.stdout).error.remedy;
      expect(cliJson(failed.stdout).error).toMatchObject({ code: 'MIGRATION_FAILED', sqlstate: '55P03' });
      expect(remedy).toMatch(/Settle it first: .*`stagegate resolve a\/0001_nt --rolled-back`.*\. Then: Let the blocking session finish/);
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
    // Following the remedy: nothing of it took effect (its first statement failed), so roll it back and run again
    expect((await runCli(['resolve', 'a/0001_nt', '--rolled-back', '--reason', 'first statement timed out'], { cwd: ws.dir, env })).code).toBe(0);
    expect((await runCli(['migrate'], { cwd: ws.dir, env })).code).toBe(0);
    expect((await db.query("select count(*)::int as n from information_schema.columns where table_name = 'locked_night'"))[0]).toEqual({ n: 3 });
    await db.query('drop table locked_night');
  });

  it('a mistyped option is named as one the command does not take, with the help of that command, not advice about positionals', async () => {
    // Act
    const typo = await runCli(['plan', '--databse-url', 'x', '--json'], { cwd: ws.dir });
    const short = await runCli(['migrate', '-d'], { cwd: ws.dir });
    // Assess
    expect([typo.code, short.code]).toEqual([2, 2]);
    expect(cliJson(typo.stdout).error).toEqual({ code: 'USAGE', message: 'stagegate plan does not take --databse-url.', remedy: 'Run `stagegate help plan` for the options it takes.' });
    expect(short.stderr).toContain('error USAGE: stagegate migrate does not take -d.\nwhat to do: Run `stagegate help migrate` for the options it takes.');
    expect(typo.stderr + short.stderr).not.toContain('positional');
  });

  describe('connection URLs as people write them', () => {
    const password = 'p@ss:w/o%rd# x';
    const role = `odd_${Math.random().toString(36).slice(2, 8)}`;
    beforeAll(() => db.query(`create role ${role} login password '${password}'`));
    afterAll(() => db.query(`drop role ${role}`));
    /** The URL of the test database as `role`, with the password's text as given (encoded or not). */
    const urlWith = (secret: string, query = ''): string => {
      const base = new URL(db.url);
      return `postgres://${role}:${secret}@${base.host}${base.pathname}${query}`;
    };
    const leaks = (output: string): boolean => [password, encodeURIComponent(password), 'p@ss', 'p%40', 'o%rd', 'o%25rd'].some((text) => output.includes(text));

    it.each([
      ['status URL'],
      ['URL'],
      ['migrate --to URL'],
      ['resolve URL --applied'],
      ['adopt URL'],
      ['new URL x'],
    ])('stagegate %s (the URL where no URL goes) is bad usage that does not print the password', async (shape) => {
      const url = urlWith(encodeURIComponent(password));
      const argv = shape.split(' ').map((word) => (word === 'URL' ? url : word));
      const result = await runCli([...argv, '--json'], { cwd: ws.dir });
      expect(result.code).toBe(2);
      expect(result.stdout.trim().split('\n')).toHaveLength(1);
      expect(cliJson(result.stdout).error.code).toBe('USAGE');
      expect(result.stderr).toContain('error USAGE:');
      expect(leaks(result.stdout + result.stderr)).toBe(false);
    });

    it('connects with a percent-encoded password of @ : / % # and a space, and never prints it', async () => {
      ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE url_night (id int);' });
      const result = await runCli(['status', '--json', '--database-url', urlWith(encodeURIComponent(password))], { cwd: ws.dir, env: { STAGEGATE_SCHEMA: 'url_night' } });
      expect(result.code).toBe(0);
      expect(cliJson(result.stdout)).toMatchObject({ ok: true, target: `${role}@${new URL(db.url).host}/${db.name}` });
      expect(leaks(result.stdout + result.stderr)).toBe(false);
    });

    it.each([
      ['a password left unencoded', password, '', 'CONFIG_INVALID', 'must be percent-encoded (@ as %40'],
      ['an sslmode node-postgres does not know', encodeURIComponent(password), '?sslmode=requre', 'CONFIG_INVALID', 'sslmode="requre", which node-postgres does not know: use one of disable, prefer'],
      ['TLS asked of a server without it', encodeURIComponent(password), '?sslmode=require', 'DATABASE_UNREACHABLE', 'sslmode=disable in its connection URL'],
    ])('refuses %s with a coded error that says what to change, in one JSON object, without the password', async (_case, secret, query, code, advice) => {
      const url = urlWith(secret, query);
      ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE url_night (id int);' });
      const machine = await runCli(['status', '--json', '--database-url', url], { cwd: ws.dir });
      const human = await runCli(['status', '--database-url', url], { cwd: ws.dir });
      expect([machine.code, human.code]).toEqual([1, 1]);
      expect(machine.stdout.trim().split('\n')).toHaveLength(1);
      const error = cliJson(machine.stdout).error;
      expect(error.code).toBe(code);
      expect(`${error.message} ${error.remedy}`).toContain(advice);
      expect(human.stderr).toContain(`error ${code}:`);
      expect(leaks(machine.stdout + machine.stderr + human.stdout + human.stderr)).toBe(false);
    });
  });
});
