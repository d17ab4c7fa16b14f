import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { cliJson, runCli, useWorkspace } from '../support/workspace';

describe('Integration: the CLI on folders and databases it cannot use', () => {
  const ws = useWorkspace();

  it('lint refuses a migration it cannot read and a file not named as one, instead of passing them over', async () => {
    // Prepare: a good migration, a folder and a dangling link where migrations should be, two bad names
    const folder = ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE t (id int);', 'a/0002-two.sql': 'SELECT 1;', 'a/init.sql': 'SELECT 1;' });
    mkdirSync(join(folder, 'a/0003_dir.sql'));
    symlinkSync(join(ws.dir, 'nowhere.sql'), join(folder, 'a/0004_link.sql'));
    // Act
    const machine = await runCli(['lint', '--json'], { cwd: ws.dir });
    const human = await runCli(['lint'], { cwd: ws.dir });
    // Assess
    expect(machine.code).toBe(1);
    const error = cliJson(machine.stdout).error;
    expect(error.code).toBe('MIGRATIONS_INVALID');
    expect(error.problems.map((p: { code: string; file: string }) => [p.code, p.file])).toEqual([
      ['BAD_NAME', 'a/0002-two.sql'],
      ['UNREADABLE', 'a/0003_dir.sql'],
      ['UNREADABLE', 'a/0004_link.sql'],
      ['BAD_NAME', 'a/init.sql'],
    ]);
    expect(human.code).toBe(1);
    expect(human.stdout).toBe('');
    expect(human.stderr).toContain('a/0004_link.sql [UNREADABLE]');
  });
});
