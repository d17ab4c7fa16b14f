import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLocalStage, type LocalStage } from '../support/local-stage';
import { cliJson, createWorkspace, runCli, startCli, type Workspace } from '../support/workspace';

/**
 * A signal to `migrate --stage`: the run is the function's (serverless-offline
 * here), so the CLI only stops waiting, says the run goes on there, and the
 * function does finish it.
 */
describe('Integration: Ctrl-C during stagegate migrate --stage', () => {
  let stage: LocalStage;
  let ws: Workspace;

  beforeAll(async () => {
    stage = await startLocalStage({ bucket: 'stagegate-interrupt-stage' });
  });
  afterAll(() => stage?.stop());
  beforeEach(() => {
    ws = createWorkspace();
    copyFileSync(resolve(__dirname, '../../serverless.yml'), join(ws.dir, 'serverless.yml'));
  });
  afterEach(() => ws.remove());

  async function until(sql: string): Promise<void> {
    for (let tries = 0; tries < 300; tries += 1) {
      if ((await stage.db.query(sql)).length > 0) return;
      await sleep(100);
    }
    throw new Error(`gave up waiting for: ${sql}`);
  }

  it('says the run goes on in the function and how to see its outcome; the function then applies the migration', async () => {
    // Prepare
    ws.migrations({ 'a/0001_slow.sql': 'CREATE TABLE stage_interrupted (id int);\nSELECT pg_sleep(4);' });
    const started = startCli(['migrate', '--stage', 'local', '--json'], { cwd: ws.dir, env: stage.cliEnv() });
    await until(`select 1 from pg_stat_activity where state = 'active' and query like '%pg_sleep(4)%' and pid <> pg_backend_pid()`);
    // Act
    started.child.kill('SIGINT');
    const result = await started.done;
    // Assess: said at once, while the function still runs
    expect(result.code).toBe(130);
    const error = cliJson(result.stdout).error;
    expect(error).toMatchObject({ code: 'INTERRUPTED', signal: 'SIGINT', stage: 'local', goesOn: true });
    expect(error.message).toContain('the run was NOT stopped: it goes on in the function on stage local');
    expect(error.remedy).toContain('`stagegate status --stage local`');
    expect(`${error.message} ${error.remedy}`).not.toContain('rolled back');
    expect(await stage.db.query(`select 1 from pg_tables where tablename = 'stage_interrupted'`)).toEqual([]);
    // What it said is true: the function goes on and applies it
    await until(`select 1 from stagegate.migrations where id = 'a/0001_slow' and state = 'applied'`);
    const after = await runCli(['status', '--stage', 'local', '--json'], { cwd: ws.dir, env: stage.cliEnv() });
    expect(cliJson(after.stdout)).toMatchObject({ ok: true, status: 'up-to-date' });
  }, 90_000);
});
