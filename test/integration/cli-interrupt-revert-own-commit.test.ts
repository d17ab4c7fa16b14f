import { setTimeout as sleep } from 'node:timers/promises';
import { useTestDatabase } from '../support/database';
import { cliEnv, cliJson, runCli, startCli, useWorkspace } from '../support/workspace';

describe('Integration: Ctrl-C after a reverse script\'s own COMMIT', () => {
  const db = useTestDatabase('file');
  const ws = useWorkspace();

  afterEach(async () => {
    await db.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query like '%pg_sleep(38%' and pid <> pg_backend_pid()`);
  });

  it('does not say the migration has no ledger row (pending) when its row is still applied', async () => {
    const env = cliEnv(db.url);
    const schema = JSON.stringify(env.STAGEGATE_SCHEMA);
    ws.migrations({
      'a/0001_init.sql': 'CREATE TABLE rc_a (id int);',
      'a/0002_own.sql': 'CREATE TABLE rc_b (id int);',
      'a/0002_own.down.sql': 'DROP TABLE rc_b;\nCOMMIT;\nSELECT pg_sleep(38);',
    });
    expect((await runCli(['migrate', '--json'], { cwd: ws.dir, env })).code).toBe(0);
    const started = startCli(['migrate', '--to', 'a/0001_init', '--json'], { cwd: ws.dir, env });
    let sleeping = false;
    for (let tries = 0; tries < 200 && !sleeping; tries += 1) {
      sleeping = (await db.query(`select 1 from pg_stat_activity where datname = current_database() and state = 'active' and query like '%pg_sleep(38)%' and pid <> pg_backend_pid()`)).length > 0;
      if (!sleeping) await sleep(100);
    }
    expect(sleeping).toBe(true);
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
