import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startLocalStage, type LocalStage } from '../support/local-stage';
import { cliJson, createWorkspace, runCli, type Workspace } from '../support/workspace';

const BUCKET = 'stagegate-status-blocked';

describe('Integration: status --stage blocked by a dirty migration (serverless-offline)', () => {
  let stage: LocalStage;
  let ws: Workspace;

  beforeAll(async () => {
    stage = await startLocalStage({ bucket: BUCKET });
    ws = createWorkspace();
    copyFileSync(resolve(__dirname, '../../serverless.yml'), join(ws.dir, 'serverless.yml'));
  });
  afterAll(async () => {
    ws?.remove();
    await stage?.stop();
  });

  const cli = (argv: string[]) => runCli(argv, { cwd: ws.dir, env: stage.cliEnv() });

  it('names the resolve command that works on the stage (with --stage), as migrate --stage does', async () => {
    // Prepare: a no-transaction migration that fails (no column cod), leaving the stage dirty
    ws.migrations({
      'shop/0001_orders.sql': 'CREATE TABLE sb_orders (id int PRIMARY KEY, code int);',
      'shop/0002_code.sql': '-- stagegate:no-transaction\nCREATE INDEX CONCURRENTLY sb_orders_code ON sb_orders (cod);',
    });
    expect((await cli(['migrate', '--stage', 'local', '--json'])).code).toBe(1);
    // Act
    const migrate = cliJson((await cli(['migrate', '--stage', 'local', '--json'])).stdout);
    const status = cliJson((await cli(['status', '--stage', 'local', '--json'])).stdout);
    const human = await cli(['status', '--stage', 'local']);
    // Assess
    expect(migrate.error.code).toBe('MIGRATION_DIRTY');
    expect(migrate.error.remedy).toContain('--stage local');
    expect(status.status).toBe('blocked');
    expect(status.blocked.code).toBe('MIGRATION_DIRTY');
    // what status --stage tells the user to do must be runnable on the stage
    expect(human.stdout).toContain('`stagegate resolve shop/0002_code --applied --stage local`');
    expect(status.blocked.remedy).toContain('`stagegate resolve shop/0002_code --applied --stage local`');
  });
});
