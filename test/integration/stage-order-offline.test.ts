import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readStageRecord } from '../../lib/adapters/s3/stage-records';
import { startLocalStage, type LocalStage } from '../support/local-stage';
import { cliJson, createWorkspace, runCli, type Workspace } from '../support/workspace';

const BUCKET = 'stagegate-stage-order';

/**
 * The stage order end to end, with no AWS account: the CLI publishes to
 * s3rver and invokes the local stage's migrate function in the Lambda
 * emulator, whose stage order puts `local` after `dev`.
 */
describe('Integration: stage order through the CLI and the migrate function (serverless-offline)', () => {
  let stage: LocalStage;
  let ws: Workspace;

  beforeAll(async () => {
    stage = await startLocalStage({ bucket: BUCKET, env: { STAGEGATE_STAGES: 'dev,local' } });
  });
  afterAll(() => stage?.stop());
  beforeEach(() => {
    ws = createWorkspace();
    copyFileSync(resolve(__dirname, '../../serverless.yml'), join(ws.dir, 'serverless.yml'));
    ws.migrations({ 'shop/0001_orders.sql': 'CREATE TABLE order_gate (id int PRIMARY KEY);' });
  });
  afterEach(() => ws.remove());

  it('refuses what dev never ran, then proceeds under a recorded override', async () => {
    // Act
    const refused = await runCli(['migrate', '--stage', 'local', '--json'], { cwd: ws.dir, env: stage.cliEnv() });
    const noReason = await runCli(['migrate', '--stage', 'local', '--override-stage-order', '--json'], { cwd: ws.dir, env: stage.cliEnv() });
    const tablesBefore = await stage.db.query("select to_regclass('public.order_gate')::text as t");
    const overridden = await runCli(['migrate', '--stage', 'local', '--override-stage-order', '--reason', 'hotfix INC-42', '--json'], { cwd: ws.dir, env: stage.cliEnv() });
    // Assess
    expect(refused.code).toBe(1);
    expect(cliJson(refused.stdout).error).toMatchObject({ code: 'STAGE_ORDER', stage: 'local', previousStage: 'dev', missing: ['shop/0001_orders'] });
    expect(refused.stderr).toContain('dev has never recorded a run');
    expect(noReason.code).toBe(2);
    expect(tablesBefore).toEqual([{ t: null }]);
    expect(overridden.code).toBe(0);
    expect(cliJson(overridden.stdout)).toMatchObject({
      status: 'applied',
      stageOrderOverride: { reason: 'hotfix INC-42', previousStage: 'dev', missing: ['shop/0001_orders'] },
      stageRecord: { written: true },
    });
    const record = await readStageRecord(stage.s3.client, BUCKET, 'stagegate', 'local');
    expect(record?.applied.map((e) => e.id)).toEqual(['shop/0001_orders']);
    expect(record?.overrides.map((o) => o.reason)).toEqual(['hotfix INC-42']);
  });
});
