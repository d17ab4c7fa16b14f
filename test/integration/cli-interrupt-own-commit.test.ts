import { setTimeout as sleep } from 'node:timers/promises';
import { useTestDatabase } from '../support/database';
import { cliEnv, cliJson, runCli, startCli, useWorkspace } from '../support/workspace';

describe('Integration: Ctrl-C after a migration\'s own COMMIT', () => {
  const db = useTestDatabase('file');
  const ws = useWorkspace();

  afterEach(async () => {
    await db.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query like '%pg_sleep(37%' and pid <> pg_backend_pid()`);
  });

  it('says what its COMMIT kept and that it is pending, not that a no-transaction migration is left dirty', async () => {
    // Prepare: a transactional migration that commits part of itself, then sleeps
    const env = cliEnv(db.url);
    const schema = JSON.stringify(env.STAGEGATE_SCHEMA);
    ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE oc_a (id int);', 'a/0002_own.sql': 'CREATE TABLE oc_b (id int);\nCOMMIT;\nSELECT pg_sleep(37);' });
    const started = startCli(['migrate', '--json'], { cwd: ws.dir, env });
    let sleeping = false;
    for (let tries = 0; tries < 200 && !sleeping; tries += 1) {
      sleeping = (await db.query(`select 1 from pg_stat_activity where datname = current_database() and state = 'active' and query like '%pg_sleep(37)%' and pid <> pg_backend_pid()`)).length > 0;
      if (!sleeping) await sleep(100);
    }
    expect(sleeping).toBe(true);
    // Act
    started.child.kill('SIGINT');
    const result = await started.done;
    const status = cliJson((await runCli(['status', '--json'], { cwd: ws.dir, env })).stdout);
    // Assess
    const error = cliJson(result.stdout).error;
    expect(result.code).toBe(130);
    expect(error.code).toBe('INTERRUPTED');
    expect(error.interrupted).toMatchObject({ id: 'a/0002_own', left: 'partly-committed' });
    expect(error.message).toContain('cancelled after its own COMMIT');
    expect(error.message).not.toContain('no-transaction');
    expect(await db.query(`select id, state from ${schema}.migrations order by id`)).toEqual([{ id: 'a/0001_init', state: 'applied' }]);
    expect(status.migrations).toContainEqual(expect.objectContaining({ id: 'a/0002_own', state: 'pending' }));
  }, 40_000);
});
