/**
 * A script that cannot run (a psql meta-command, `COPY … FROM STDIN`, …) is
 * refused when the plan is known, before the run's first step: the stage is
 * never left part-way through a release for something knowable up front.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTestDatabase } from '../support/database';
import { cliEnv, cliJson, runCli, useWorkspace } from '../support/workspace';

describe('Integration: a plan with a script that cannot run runs none of it', () => {
  const db = useTestDatabase('file');
  const ws = useWorkspace();

  const tables = async (...names: string[]): Promise<(string | null)[]> =>
    (await db.query<{ t: string | null }>('select to_regclass(name)::text as t from unnest($1::text[]) with ordinality as n(name, k) order by k', [names])).map((r) => r.t);

  it('refuses a later pending migration with a psql meta-command before the first one runs, records the refusal, and runs all once it is fixed', async () => {
    // Prepare: four pending; the third has `\set` on line 3
    const folder = ws.migrations({
      'app/0001_a.sql': 'CREATE TABLE refusal_a (id int);\n',
      'app/0002_b.sql': '-- stagegate:no-transaction\nCREATE TABLE refusal_b (id int);\n',
      'app/0003_c.sql': 'CREATE TABLE refusal_c (id int);\n\n\\set ON_ERROR_STOP on\n',
      'app/0004_d.sql': 'CREATE TABLE refusal_d (id int);\n',
    });
    const env = cliEnv(db.url);

    // Act
    const refused = await runCli(['migrate', '--json'], { cwd: ws.dir, env });
    const ledger = await db.query(`select id from ${env.STAGEGATE_SCHEMA}.migrations`);
    const runs = await db.query(`select outcome, applied, error->>'code' as code, error->>'migration' as migration from ${env.STAGEGATE_SCHEMA}.runs order by id`);
    const untouched = await tables('refusal_a', 'refusal_b', 'refusal_c');
    writeFileSync(join(folder, 'app/0003_c.sql'), 'CREATE TABLE refusal_c (id int);\n');
    const fixed = await runCli(['migrate', '--json'], { cwd: ws.dir, env });

    // Assess: the error names the third migration as a run reaching it would; nothing ran, one failed runs row
    expect(refused.code).toBe(1);
    const { ok, error } = cliJson(refused.stdout);
    expect(ok).toBe(false);
    expect(error).toMatchObject({
      code: 'MIGRATION_FAILED',
      migration: 'app/0003_c',
      file: 'app/0003_c.sql',
      line: 3,
      statement: '\\set ON_ERROR_STOP on',
      sqlstate: null,
      refused: true,
      applied: [],
      remedy: expect.stringContaining('Nothing of the migration ran and the ledger was not touched'),
    });
    expect(error.message).toContain('app/0003_c.sql:3:1: "\\set ON_ERROR_STOP on" is a psql meta-command');
    expect(ledger).toEqual([]);
    expect(runs).toEqual([{ outcome: 'failed', applied: [], code: 'MIGRATION_FAILED', migration: 'app/0003_c' }]);
    expect(untouched).toEqual([null, null, null]);
    expect(fixed.code).toBe(0);
    expect(cliJson(fixed.stdout).applied.map((a: { id: string }) => a.id)).toEqual(['app/0001_a', 'app/0002_b', 'app/0003_c', 'app/0004_d']);
    expect(await tables('refusal_a', 'refusal_d')).toEqual(['refusal_a', 'refusal_d']);
  });

  it('plan refuses the same script as migrate would, naming its file and line, and changes nothing', async () => {
    // Prepare: two pending; the second has COPY … FROM STDIN on line 2
    ws.migrations({
      'app/0001_a.sql': 'CREATE TABLE plan_refusal_a (id int);\n',
      'app/0002_b.sql': 'CREATE TABLE plan_refusal_b (id int);\nCOPY plan_refusal_b FROM STDIN;\n1\n\\.\n',
    });
    const env = cliEnv(db.url);

    // Act
    const planned = await runCli(['plan', '--json'], { cwd: ws.dir, env });
    const human = await runCli(['plan'], { cwd: ws.dir, env });

    // Assess: the refusal migrate would make, before anything ran; the text names the file and line too
    expect(planned.code).toBe(1);
    expect(cliJson(planned.stdout).error).toMatchObject({ code: 'MIGRATION_FAILED', migration: 'app/0002_b', file: 'app/0002_b.sql', line: 2, refused: true });
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('app/0002_b.sql:2:1: COPY … FROM STDIN');
    expect(await tables('plan_refusal_a', 'plan_refusal_b')).toEqual([null, null]);
  });

  it('refuses migrate --to when a later reverse script has \\connect, before the first reverse script runs', async () => {
    // Prepare: three applied; going back to 0001 reverts 0003, then 0002, whose .down.sql has `\connect` on line 2
    const folder = ws.migrations({
      'app/0001_a.sql': 'CREATE TABLE back_a (id int);\n',
      'app/0001_a.down.sql': 'DROP TABLE back_a;\n',
      'app/0002_b.sql': 'CREATE TABLE back_b (id int);\n',
      'app/0002_b.down.sql': 'DROP TABLE back_b;\n',
      'app/0003_c.sql': 'CREATE TABLE back_c (id int);\n',
      'app/0003_c.down.sql': 'DROP TABLE back_c;\n',
    });
    const env = cliEnv(db.url);
    expect((await runCli(['migrate'], { cwd: ws.dir, env })).code).toBe(0);
    writeFileSync(join(folder, 'app/0002_b.down.sql'), 'DROP TABLE back_b;\n\\connect other\n');
    const ledger = async (): Promise<unknown[]> => db.query(`select id from ${env.STAGEGATE_SCHEMA}.migrations order by id`);

    // Act
    const refused = await runCli(['migrate', '--to', 'app/0001_a', '--json'], { cwd: ws.dir, env });
    const after = { ledger: await ledger(), tables: await tables('back_b', 'back_c') };
    const runs = await db.query(`select outcome, error->>'file' as file from ${env.STAGEGATE_SCHEMA}.runs where action = 'migrate' order by id`);
    writeFileSync(join(folder, 'app/0002_b.down.sql'), 'DROP TABLE back_b;\n');
    const fixed = await runCli(['migrate', '--to', 'app/0001_a', '--json'], { cwd: ws.dir, env });

    // Assess: 0003 was not reverted either
    expect(refused.code).toBe(1);
    expect(cliJson(refused.stdout).error).toMatchObject({
      code: 'MIGRATION_FAILED',
      migration: 'app/0002_b',
      file: 'app/0002_b.down.sql',
      line: 2,
      statement: '\\connect other',
      reverting: true,
      refused: true,
      applied: [],
      reverted: [],
      remedy: expect.stringContaining('Nothing of the reverse script ran'),
    });
    expect(after).toEqual({ ledger: [{ id: 'app/0001_a' }, { id: 'app/0002_b' }, { id: 'app/0003_c' }], tables: ['back_b', 'back_c'] });
    expect(runs).toEqual([{ outcome: 'succeeded', file: null }, { outcome: 'failed', file: 'app/0002_b.down.sql' }]);
    expect(fixed.code).toBe(0);
    expect(cliJson(fixed.stdout).reverted.map((r: { id: string }) => r.id)).toEqual(['app/0003_c', 'app/0002_b']);
    expect(await ledger()).toEqual([{ id: 'app/0001_a' }]);
  });

  it('reports such a migration in a rehearsal as failed, also a no-transaction one, and skips what depends on it', async () => {
    // Prepare: the second, no-transaction, has COPY … FROM STDIN; the third depends on it (the previous number of its app)
    ws.migrations({
      'app/0001_a.sql': 'CREATE TABLE rehearsed_a (id int);\n',
      'app/0002_b.sql': '-- stagegate:no-transaction\nCOPY rehearsed_a (id) FROM stdin;\n1\n\\.\n',
      'app/0003_c.sql': 'CREATE TABLE rehearsed_c (id int);\n',
    });

    // Act
    const rehearsal = await runCli(['plan', '--rehearse', '--json'], { cwd: ws.dir, env: cliEnv(db.url) });

    // Assess
    expect(rehearsal.code).toBe(1);
    const { error } = cliJson(rehearsal.stdout);
    expect(error.code).toBe('REHEARSAL_FAILED');
    expect(error.rehearsal).toEqual([
      expect.objectContaining({ id: 'app/0001_a', status: 'rehearsed' }),
      expect.objectContaining({ id: 'app/0002_b', status: 'failed', failure: expect.objectContaining({ file: 'app/0002_b.sql', line: 2, refused: true }) }),
      expect.objectContaining({ id: 'app/0003_c', status: 'not-rehearsable', reason: 'depends on app/0002_b, which failed' }),
    ]);
  });
});
