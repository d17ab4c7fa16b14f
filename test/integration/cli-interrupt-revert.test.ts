import { setTimeout as sleep } from 'node:timers/promises';
import { useTestDatabase } from '../support/database';
import { cliEnv, cliJson, runCli, startCli, useWorkspace } from '../support/workspace';

describe('Integration: Ctrl-C while migrate --to runs a reverse script', () => {
  const db = useTestDatabase('file');
  const ws = useWorkspace();

  afterEach(async () => {
    await db.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query like '%pg_sleep(38%' and pid <> pg_backend_pid()`);
  });

  /** Polls for the reverse script's pg_sleep(38), for at most 20 s. */
  async function reverseSleeping(): Promise<boolean> {
    for (let tries = 0; tries < 200; tries += 1) {
      const rows = await db.query(`select 1 from pg_stat_activity where datname = current_database() and state = 'active' and query like '%pg_sleep(38)%' and pid <> pg_backend_pid()`);
      if (rows.length > 0) return true;
      await sleep(100);
    }
    return false;
  }

  it('names the .down.sql it cut, which rolled back: the migration stays applied', async () => {
    // Prepare: two applied migrations; the second one's reverse script sleeps
    const env = cliEnv(db.url);
    const schema = JSON.stringify(env.STAGEGATE_SCHEMA);
    ws.migrations({
      'a/0001_init.sql': 'CREATE TABLE rv_a (id int);',
      'a/0001_init.down.sql': 'DROP TABLE rv_a;',
      'a/0002_more.sql': 'CREATE TABLE rv_b (id int);',
      'a/0002_more.down.sql': 'DROP TABLE rv_b;\nSELECT pg_sleep(38);',
    });
    expect((await runCli(['migrate'], { cwd: ws.dir, env })).code).toBe(0);
    const started = startCli(['migrate', '--to', 'a/0001_init', '--json'], { cwd: ws.dir, env });
    expect(await reverseSleeping()).toBe(true);
    // Act
    started.child.kill('SIGINT');
    const result = await started.done;
    // Assess
    expect(result.code).toBe(130);
    expect(cliJson(result.stdout).error).toMatchObject({ code: 'INTERRUPTED', interrupted: { id: 'a/0002_more', file: 'a/0002_more.down.sql', left: 'rolled-back' } });
    expect((await db.query(`select id from ${schema}.migrations order by id`)).map((r) => (r as { id: string }).id)).toEqual(['a/0001_init', 'a/0002_more']);
    expect(await db.query(`select 1 from pg_tables where tablename = 'rv_b'`)).toHaveLength(1);
  }, 40_000);

  it('after the reverse script\'s own COMMIT: does not say the migration has no ledger row (pending), as its row is still applied', async () => {
    // Prepare: the reverse script commits its DROP, then sleeps
    const env = cliEnv(db.url);
    const schema = JSON.stringify(env.STAGEGATE_SCHEMA);
    ws.migrations({
      'a/0001_init.sql': 'CREATE TABLE rc_a (id int);',
      'a/0002_own.sql': 'CREATE TABLE rc_b (id int);',
      'a/0002_own.down.sql': 'DROP TABLE rc_b;\nCOMMIT;\nSELECT pg_sleep(38);',
    });
    expect((await runCli(['migrate', '--json'], { cwd: ws.dir, env })).code).toBe(0);
    const started = startCli(['migrate', '--to', 'a/0001_init', '--json'], { cwd: ws.dir, env });
    expect(await reverseSleeping()).toBe(true);
    // Act
    started.child.kill('SIGINT');
    const result = await started.done;
    const error = cliJson(result.stdout).error;
    const rows = await db.query<{ id: string; state: string }>(`select id, state from ${schema}.migrations order by id`);
    const status = cliJson((await runCli(['status', '--json'], { cwd: ws.dir, env })).stdout);
    const rcB = await db.query("select 1 from pg_catalog.pg_tables where tablename = 'rc_b'");
    // Assess: the ledger still holds a/0002_own as applied (its rows' delete came after the cut); the table it made is gone.
    expect(rows).toEqual([{ id: 'a/0001_init', state: 'applied' }, { id: 'a/0002_own', state: 'applied' }]);
    expect({ rcBGone: rcB.length === 0, statusSays: status.migrations.find((m: { id: string }) => m.id === 'a/0002_own')?.state }).toEqual({ rcBGone: true, statusSays: 'applied' });
    expect(error.code).toBe('INTERRUPTED');
    // So the message must not claim it has no ledger row and is pending.
    expect({ message: error.message.includes('no ledger row (pending)'), remedy: error.remedy.includes('rolled back and left no trace') }).toEqual({ message: false, remedy: false });
    expect(error.message).toContain('is still applied in the ledger (partly reverted)');
    expect(error.remedy).toContain('Undo that part by hand');
  }, 40_000);
});
