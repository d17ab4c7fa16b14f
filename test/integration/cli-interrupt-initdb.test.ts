/**
 * Ctrl-C typed in a terminal during the embedded server's first use reaches
 * the initdb the CLI started too (same process group): the command is
 * interrupted, not failed, and nothing is left that the next run trips on.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { useEmbeddedProject } from '../support/embedded-project';
import { cliJson, runCli, startCli } from '../support/workspace';

const project = useEmbeddedProject('stagegate-initdb-');

it('Ctrl-C during the first-use initdb: that run ends INTERRUPTED (130), and the next migrate works', async () => {
  // Prepare: initdb has begun writing the data folder
  project.writeMigrations({ 'a/0001_init.sql': 'CREATE TABLE i_init (id int);' });
  const started = startCli(['migrate', '--json'], { cwd: project.dir, env: project.env(), detached: true });
  for (let i = 0; i < 400 && !existsSync(join(project.dataDir, 'PG_VERSION')) && !existsSync(join(project.dataDir, 'base')); i += 1) await sleep(10);
  // Act
  process.kill(-(started.child.pid as number), 'SIGINT');
  const { code, stdout, stderr } = await started.done;
  const next = await runCli(['migrate', '--json'], { cwd: project.dir, env: project.env() });
  // Assess
  expect(code).toBe(130);
  expect(cliJson(stdout).error.code).toBe('INTERRUPTED');
  expect(stderr).not.toContain('EMBEDDED_POSTGRES_FAILED');
  expect(next.code).toBe(0);
}, 120_000);
