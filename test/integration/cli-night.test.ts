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
});
