/**
 * Ctrl-C typed in a terminal goes to the whole foreground process group. The
 * embedded postgres the CLI spawns runs in a group of its own, so only the
 * CLI gets it: the run stops at a safe point on a server that is still up
 * (the statement cancelled, the run recorded), and then the CLI stops the
 * server. The CLI is started in a group of its own (as a shell's job) and
 * signalled as a terminal does: kill(-pgid, SIGINT).
 */
import { readFile } from 'node:fs/promises';
import { useEmbeddedProject, waitFor } from '../support/embedded-project';
import { cliJson, runCli, startCli } from '../support/workspace';

const project = useEmbeddedProject('stagegate-group-');

/** The process group of `pid`, from /proc (field 5 of its stat line, after the command in parentheses). */
const groupOf = async (pid: number): Promise<number> => Number((await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ')[2]);

it.each([
  ['SIGINT', 130, 'g1'],
  ['SIGTERM', 143, 'g2'],
] as const)('%s to the process group (a terminal\'s Ctrl-C; coreutils timeout) on the embedded server: INTERRUPTED with the statement cancelled and the run recorded, not the server shut down under it', async (signal, exitCode, dir) => {
  // Prepare: the second migration sleeps on the embedded server
  project.use(dir);
  project.writeMigrations({ 'a/0001_init.sql': 'CREATE TABLE g_init (id int);', 'a/0002_slow.sql': 'CREATE TABLE g_slow (id int);\nSELECT pg_sleep(30);' });
  const started = startCli(['migrate', '--json'], { cwd: project.dir, env: project.env(), detached: true });
  await project.running('pg_sleep(30)');
  const cliGroup = started.child.pid as number;
  const serverGroup = await groupOf((await project.postmasterPid()) as number);
  // Act: as the terminal does on Ctrl-C
  process.kill(-cliGroup, signal);
  const { code, stdout, stderr } = await started.done;
  const status = await runCli(['status', '--json'], { cwd: project.dir, env: project.env() });
  // Assess: the server was in a group of its own, so the signal reached only the CLI
  expect(serverGroup).not.toBe(cliGroup);
  expect({ code, shutDown: /57P01|administrator command|shut(ting)? down/.test(stderr) }).toEqual({ code: exitCode, shutDown: false });
  const out = cliJson(stdout);
  expect(out).toMatchObject({ ok: false, error: { code: 'INTERRUPTED', interrupted: { id: 'a/0002_slow', left: 'rolled-back' } } });
  expect(out.applied.map((a: { id: string }) => a.id)).toEqual(['a/0001_init']);
  // The server was still up to close the run's row, which a server shut down by the Ctrl-C could not
  expect(cliJson(status.stdout).lastRun).toMatchObject({ outcome: 'failed', applied: ['a/0001_init'], error: { code: 'INTERRUPTED' } });
  await waitFor(async () => ((await project.postmasterPid()) === null ? true : null), 'the server to stop after the command', 10_000);
}, 120_000);

it('the embedded server stopped by something else while a migration runs (a fast shutdown, as pg_ctl stop sends): the run fails saying so, not INTERRUPTED', async () => {
  // Prepare
  project.use('g3');
  project.writeMigrations({ 'a/0001_init.sql': 'CREATE TABLE g_init (id int);', 'a/0002_slow.sql': 'CREATE TABLE g_slow (id int);\nSELECT pg_sleep(30);' });
  const started = startCli(['migrate', '--json'], { cwd: project.dir, env: project.env(), detached: true });
  await project.running('pg_sleep(30)');
  // Act
  process.kill((await project.postmasterPid()) as number, 'SIGINT');
  const { code, stdout } = await started.done;
  // Assess
  expect({ code, error: cliJson(stdout).error }).toEqual({ code: 1, error: expect.objectContaining({ code: 'MIGRATION_FAILED', migration: 'a/0002_slow', sqlstate: '57P01' }) });
}, 120_000);
