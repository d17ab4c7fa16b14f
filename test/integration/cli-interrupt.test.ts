/**
 * Integration: Ctrl-C (SIGINT) and SIGTERM sent to the built CLI while a
 * migration runs on the test server: the statement is cancelled on the
 * server, its transaction rolls back, the output says what committed and
 * what was interrupted, and the next run applies the rest.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { useTestDatabase } from '../support/database';
import { cliEnv, cliJson, runCli, startCli, useWorkspace } from '../support/workspace';

describe('Integration: the CLI interrupted by a signal while a migration runs', () => {
  const db = useTestDatabase('file');
  const ws = useWorkspace();

  /** Polls `sql` until it returns a row, for at most `tries` × 100 ms (20 s); returns that row. */
  async function until(sql: string, params: unknown[] = [], tries = 200): Promise<Record<string, unknown>> {
    for (let tried = 0; tried < tries; tried += 1) {
      const rows = await db.query(sql, params);
      if (rows.length > 0) return rows[0] as Record<string, unknown>;
      await sleep(100);
    }
    throw new Error(`gave up waiting for: ${sql}`);
  }

  const backendRunning = (marker: string): string =>
    `select pid from pg_stat_activity where datname = current_database() and state = 'active' and query like '%${marker}%' and pid <> pg_backend_pid()`;
  /** The run's backend has ended within 5 s of the CLI's exit: its statement was cancelled, not left to run out its sleep. */
  const gone = (pid: unknown): Promise<Record<string, unknown>> => until('select 1 where not exists (select 1 from pg_stat_activity where pid = $1)', [pid], 50);

  afterEach(async () => {
    // Never leave a sleeper behind for the other tests, whatever failed.
    await db.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query like '%pg_sleep(3%' and pid <> pg_backend_pid()`);
  });

  it.each([
    ['SIGINT', 130, 31, false],
    ['SIGTERM', 143, 32, true],
  ] as const)('%s stops the run at once: the sleeping migration is cancelled and rolled back, the committed one is reported, the next run applies the rest', async (signal, exitCode, seconds, json) => {
    // Prepare: the second of three migrations sleeps far longer than the test waits
    const env = cliEnv(db.url);
    const schema = JSON.stringify(env.STAGEGATE_SCHEMA);
    const marker = `pg_sleep(${seconds})`;
    const files = { 'a/0001_init.sql': `CREATE TABLE stop_${seconds}_a (id int);`, 'a/0003_after.sql': `CREATE TABLE stop_${seconds}_c (id int);` };
    ws.migrations({ ...files, 'a/0002_slow.sql': `CREATE TABLE stop_${seconds}_b (id int);\nSELECT ${marker};` });
    const started = startCli(json ? ['migrate', '--json'] : ['migrate'], { cwd: ws.dir, env });
    const { pid } = await until(backendRunning(marker));
    // Act
    const sent = Date.now();
    started.child.kill(signal);
    const result = await started.done;
    // Assess: it ended long before the sleep would have, with the signal's exit code
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(result.code).toBe(exitCode);
    if (json) {
      expect(result.stdout.trim().split('\n')).toHaveLength(1);
      const out = cliJson(result.stdout);
      expect(out.applied.map((a: { id: string }) => a.id)).toEqual(['a/0001_init']);
      expect(out).toMatchObject({ ok: false, action: 'migrate', error: { code: 'INTERRUPTED', signal, interrupted: { id: 'a/0002_slow', left: 'rolled-back' } } });
    } else {
      expect(result.stderr).toContain(`error INTERRUPTED: stagegate migrate was interrupted by ${signal}: a/0002_slow (`);
      expect(result.stderr).toContain('was cancelled and rolled back; committed before it: a/0001_init.');
    }
    expect(result.stderr).toContain('Press Ctrl-C again to quit without waiting');
    // The server-side statement is gone (cancelled, not left to run out its sleep), and the ledger holds exactly what committed
    await gone(pid);
    expect(await db.query(`select id, state from ${schema}.migrations order by id`)).toEqual([{ id: 'a/0001_init', state: 'applied' }]);
    expect(await db.query(`select outcome, applied, error->>'code' as code from ${schema}.runs order by id`)).toEqual([{ outcome: 'failed', applied: ['a/0001_init'], code: 'INTERRUPTED' }]);
    expect(await db.query(`select 1 from pg_tables where tablename = $1`, [`stop_${seconds}_b`])).toEqual([]);
    // The next run takes the lock at once and applies the rest
    ws.migrations({ ...files, 'a/0002_slow.sql': `CREATE TABLE stop_${seconds}_b (id int);` });
    const next = await runCli(['migrate', '--json', '--lock-wait', '1s'], { cwd: ws.dir, env });
    expect(next.code).toBe(0);
    expect(cliJson(next.stdout).applied.map((a: { id: string }) => a.id)).toEqual(['a/0002_slow', 'a/0003_after']);
  }, 40_000);

  it('a no-transaction migration interrupted part-way is left dirty, with the remedy of its failure, and resolve settles it', async () => {
    // Prepare
    const env = cliEnv(db.url);
    const schema = JSON.stringify(env.STAGEGATE_SCHEMA);
    ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE stop_nt (id int);', 'a/0002_nt.sql': '-- stagegate:no-transaction\nCREATE TABLE stop_nt_b (id int);\nSELECT pg_sleep(33);' });
    const started = startCli(['migrate', '--json'], { cwd: ws.dir, env });
    const { pid } = await until(backendRunning('pg_sleep(33)'));
    // Act
    started.child.kill('SIGINT');
    const result = await started.done;
    // Assess
    expect(result.code).toBe(130);
    const out = cliJson(result.stdout);
    expect(out.error).toMatchObject({ code: 'INTERRUPTED', interrupted: { id: 'a/0002_nt', left: 'dirty' } });
    expect(out.error.message).toContain('left failed (dirty)');
    expect(out.error.remedy).toContain('stagegate resolve');
    expect(out.applied.map((a: { id: string }) => a.id)).toEqual(['a/0001_init']);
    await gone(pid);
    expect(await db.query(`select id, state from ${schema}.migrations order by id`)).toEqual([
      { id: 'a/0001_init', state: 'applied' },
      { id: 'a/0002_nt', state: 'failed' },
    ]);
    // Following the remedy: undo what ran, resolve it as rolled back, and the next run applies it
    await db.query('drop table stop_nt_b');
    expect((await runCli(['resolve', 'a/0002_nt', '--rolled-back', '--reason', 'interrupted'], { cwd: ws.dir, env })).code).toBe(0);
    ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE stop_nt (id int);', 'a/0002_nt.sql': '-- stagegate:no-transaction\nCREATE TABLE stop_nt_b (id int);' });
    expect((await runCli(['migrate'], { cwd: ws.dir, env })).code).toBe(0);
    await db.query('drop table stop_nt, stop_nt_b');
  }, 40_000);

  it('a run waiting for the lock stops waiting at once, having changed nothing; the run holding it goes on', async () => {
    // Prepare: the first run holds the ledger lock while its migration sleeps; the second waits for it
    const env = cliEnv(db.url);
    ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE stop_waiting (id int);\nSELECT pg_sleep(35);' });
    const holder = startCli(['migrate'], { cwd: ws.dir, env });
    const { pid: holding } = await until(backendRunning('pg_sleep(35)'));
    const waiter = startCli(['migrate', '--json', '--lock-wait', '60s'], { cwd: ws.dir, env });
    await until(`select 1 from pg_stat_activity where datname = current_database() and query like '%pg_try_advisory_lock%' and pid not in ($1, pg_backend_pid())`, [holding]);
    // Act
    const sent = Date.now();
    waiter.child.kill('SIGINT');
    const result = await waiter.done;
    // Assess
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(result.code).toBe(130);
    expect(cliJson(result.stdout)).toMatchObject({ ok: false, applied: [], error: { code: 'INTERRUPTED', message: 'stagegate migrate was interrupted by SIGINT before it changed anything; nothing was changed.' } });
    expect(await db.query('select 1 from pg_stat_activity where pid = $1', [holding])).toHaveLength(1);
    holder.child.kill('SIGINT');
    expect((await holder.done).code).toBe(130);
  }, 40_000);

  it('plan --rehearse interrupted leaves nothing behind: no table, no ledger, no backend', async () => {
    // Prepare
    const env = cliEnv(db.url);
    ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE stop_rehearsed (id int);\nSELECT pg_sleep(34);' });
    const started = startCli(['plan', '--rehearse', '--json'], { cwd: ws.dir, env });
    const { pid } = await until(backendRunning('pg_sleep(34)'));
    // Act
    started.child.kill('SIGTERM');
    const result = await started.done;
    // Assess
    expect(result.code).toBe(143);
    expect(cliJson(result.stdout)).toMatchObject({ ok: false, action: 'plan', applied: [], error: { code: 'INTERRUPTED', signal: 'SIGTERM' } });
    await gone(pid);
    expect(await db.query(`select 1 from pg_tables where tablename = 'stop_rehearsed'`)).toEqual([]);
    expect(await db.query('select 1 from pg_namespace where nspname = $1', [env.STAGEGATE_SCHEMA])).toEqual([]);
  }, 40_000);
});
