import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTestDatabase } from '../support/database';
import { cliEnv, cliJson, runCli, useWorkspace } from '../support/workspace';

describe('Integration: status says when migrate would refuse, and an empty folder is not "up to date"', () => {
  const db = useTestDatabase('file');
  const ws = useWorkspace();

  it('an applied migration whose file changed makes status blocked, with the code and remedy migrate stops with', async () => {
    // Prepare: both migrations applied, then the first one's file edited
    const env = cliEnv(db.url);
    ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE blocked_a (id int);', 'a/0002_more.sql': 'CREATE TABLE blocked_b (id int);' });
    expect((await runCli(['migrate'], { cwd: ws.dir, env })).code).toBe(0);
    ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE blocked_a (id bigint);', 'a/0002_more.sql': 'CREATE TABLE blocked_b (id int);' });
    // Act
    const machine = await runCli(['status', '--json'], { cwd: ws.dir, env });
    const human = await runCli(['status'], { cwd: ws.dir, env });
    const migrate = await runCli(['migrate', '--json'], { cwd: ws.dir, env });
    // Assess: status answers (exit 0) that migrate would refuse, and migrate does, with the same code
    expect(machine.code).toBe(0);
    const status = cliJson(machine.stdout);
    expect(status.status).toBe('blocked');
    expect(status.blocked).toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    expect(status.blocked.message).toContain('a/0001_init');
    expect(status.migrations).toContainEqual(expect.objectContaining({ id: 'a/0001_init', state: 'checksum-mismatch' }));
    expect(human.stdout).toMatch(/migrate would refuse: CHECKSUM_MISMATCH[\s\S]*a\/0001_init/);
    expect(human.stdout).toContain('what to do:');
    expect(migrate.code).toBe(1);
    expect(cliJson(migrate.stdout).error.code).toBe(status.blocked.code);
  });

  it('an applied migration missing from the folder makes status blocked with DATABASE_AHEAD, also with others pending', async () => {
    // Prepare: 0001 applied, then the folder holds only a new 0002
    const env = cliEnv(db.url);
    ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE ahead_a (id int);' });
    expect((await runCli(['migrate'], { cwd: ws.dir, env })).code).toBe(0);
    ws.migrations({ 'b/0001_other.sql': 'CREATE TABLE ahead_b (id int);' });
    // Act
    const status = cliJson((await runCli(['status', '--json'], { cwd: ws.dir, env })).stdout);
    // Assess
    expect(status.status).toBe('blocked');
    expect(status.blocked.code).toBe('DATABASE_AHEAD');
    expect(status.pending).toEqual(['b/0001_other']);
    expect(status.migrations).toContainEqual(expect.objectContaining({ id: 'a/0001_init', state: 'unknown' }));
  });

  it('a clean database with work to do is pending, and one with none up to date, neither with blocked', async () => {
    // Prepare
    const env = cliEnv(db.url);
    ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE clean_a (id int);' });
    // Act
    const before = cliJson((await runCli(['status', '--json'], { cwd: ws.dir, env })).stdout);
    expect((await runCli(['migrate'], { cwd: ws.dir, env })).code).toBe(0);
    const after = cliJson((await runCli(['status', '--json'], { cwd: ws.dir, env })).stdout);
    // Assess
    expect(before.status).toBe('pending');
    expect(before).not.toHaveProperty('blocked');
    expect(after.status).toBe('up-to-date');
    expect(after).not.toHaveProperty('blocked');
  });

  it.each([
    ['migrate', ['migrate', '--json']],
    ['status', ['status', '--json']],
    ['check', ['check', '--json']],
  ])('%s on a folder without any .sql file fails with NO_MIGRATIONS and names the folder', async (_name, args) => {
    // Prepare: the folder holds a README and an app folder with notes, no migration
    const env = cliEnv(db.url);
    const folder = ws.migrations({});
    writeFileSync(join(folder, 'README.md'), 'migrations live here');
    mkdirSync(join(folder, 'a'), { recursive: true });
    writeFileSync(join(folder, 'a', 'notes.txt'), 'none yet');
    // Act
    const run = await runCli(args, { cwd: ws.dir, env });
    // Assess
    expect(run.code).toBe(1);
    const error = cliJson(run.stdout).error;
    expect(error.code).toBe('NO_MIGRATIONS');
    expect(error.message).toContain(folder);
    expect(error.remedy).toContain('stagegate new');
  });
});
