import { setTimeout as sleep } from 'node:timers/promises';
import { useTestDatabase } from '../support/database';
import { cliEnv, cliJson, runCli, startCli, useWorkspace } from '../support/workspace';

describe('Integration: Ctrl-C while migrate --to runs a reverse script', () => {
  const db = useTestDatabase('file');
  const ws = useWorkspace();

  afterEach(async () => {
    await db.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query like '%pg_sleep(38%' and pid <> pg_backend_pid()`);
  });

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
    let sleeping = false;
    for (let tries = 0; tries < 200 && !sleeping; tries += 1) {
      sleeping = (await db.query(`select 1 from pg_stat_activity where datname = current_database() and state = 'active' and query like '%pg_sleep(38)%' and pid <> pg_backend_pid()`)).length > 0;
      if (!sleeping) await sleep(100);
    }
    expect(sleeping).toBe(true);
    // Act
    started.child.kill('SIGINT');
    const result = await started.done;
    // Assess
    expect(result.code).toBe(130);
    expect(cliJson(result.stdout).error).toMatchObject({ code: 'INTERRUPTED', interrupted: { id: 'a/0002_more', file: 'a/0002_more.down.sql', left: 'rolled-back' } });
    expect((await db.query(`select id from ${schema}.migrations order by id`)).map((r) => (r as { id: string }).id)).toEqual(['a/0001_init', 'a/0002_more']);
    expect(await db.query(`select 1 from pg_tables where tablename = 'rv_b'`)).toHaveLength(1);
  }, 40_000);
});
