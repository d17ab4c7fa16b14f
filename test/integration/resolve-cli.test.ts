import pg from 'pg';
import { useTestDatabase } from '../support/database';
import { cliEnv, cliJson, runCli, useWorkspace } from '../support/workspace';

describe('Integration: stagegate resolve after a failed no-transaction migration', () => {
  const db = useTestDatabase('file');
  const ws = useWorkspace();

  it('--applied leaves an applied row without the failure, which the resolve record and the answer keep', async () => {
    // Prepare: the second statement fails after the first took effect
    ws.migrations({
      'a/0001_table.sql': 'CREATE TABLE t (id int);',
      'a/0002_index.sql': '-- stagegate:no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);\nCREATE INDEX CONCURRENTLY t_missing ON t (missing);',
    });
    const env = cliEnv(db.url);
    const schema = pg.escapeIdentifier(env.STAGEGATE_SCHEMA);
    const failed = await runCli(['migrate', '--json'], { cwd: ws.dir, env });
    // Act: the person decides the index that was made is all that is wanted
    const resolved = await runCli(['resolve', 'a/0002_index', '--applied', '--reason', 't_id is valid', '--json'], { cwd: ws.dir, env });
    const human = await runCli(['resolve', 'a/0002_index', '--applied'], { cwd: ws.dir, env });
    const status = await runCli(['status', '--json'], { cwd: ws.dir, env });
    const rows = await db.query<{ state: string; error: unknown }>(`select state, error from ${schema}.migrations where id = 'a/0002_index'`);
    const runs = await db.query<{ action: string; outcome: string; error: unknown; details: Record<string, unknown> | null }>(
      `select action, outcome, error, details from ${schema}.runs order by id`,
    );
    // Assess
    expect(cliJson(failed.stdout).error).toMatchObject({ code: 'MIGRATION_FAILED', migration: 'a/0002_index' });
    expect(resolved.code).toBe(0);
    expect(cliJson(resolved.stdout)).toMatchObject({ ok: true, outcome: 'applied', failure: { code: 'MIGRATION_FAILED', message: expect.stringContaining('a/0002_index') } });
    expect(rows).toEqual([{ state: 'applied', error: null }]);
    expect(cliJson(status.stdout).migrations).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'a/0002_index', state: 'applied' })]));
    expect(JSON.stringify(cliJson(status.stdout))).not.toContain('t_missing');
    // The failure is history: on the failed run, and on the resolve record that settled it
    expect(runs.map((run) => [run.action, run.outcome])).toEqual([
      ['migrate', 'failed'],
      ['resolve', 'succeeded'],
      ['resolve', 'failed'],
    ]);
    expect(runs[0]?.error).toMatchObject({ code: 'MIGRATION_FAILED' });
    expect(runs[1]?.details).toMatchObject({ id: 'a/0002_index', outcome: 'applied', reason: 't_id is valid', failure: { code: 'MIGRATION_FAILED', migration: 'a/0002_index' } });
    // Once settled it is not dirty any more, and a second resolve says so
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('NOT_DIRTY');
  });

  it('--rolled-back keeps the failure of the deleted row in the resolve record, and says so', async () => {
    // Prepare
    ws.migrations({ 'a/0001_bad.sql': '-- stagegate:no-transaction\nSELECT 1/0;' });
    const env = cliEnv(db.url);
    await runCli(['migrate'], { cwd: ws.dir, env });
    // Act
    const human = await runCli(['resolve', 'a/0001_bad', '--rolled-back'], { cwd: ws.dir, env });
    const [run] = await db.query<{ details: Record<string, unknown> }>(`select details from ${pg.escapeIdentifier(env.STAGEGATE_SCHEMA)}.runs where action = 'resolve'`);
    // Assess
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('Resolved a/0001_bad as rolled-back, after its failure (MIGRATION_FAILED:');
    expect(run?.details).toMatchObject({ outcome: 'rolled-back', failure: { code: 'MIGRATION_FAILED', migration: 'a/0001_bad' } });
  });
});
