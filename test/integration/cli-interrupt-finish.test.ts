/**
 * Commands that do not stop part-way (resolve, adopt, squash, drift
 * --accept) finish first, with their own result, also when the signal comes
 * while the embedded default starts: `resolve`, SIGTERM during start-up.
 */
import { useEmbeddedProject, waitFor } from '../support/embedded-project';
import { runCli, startCli } from '../support/workspace';

const project = useEmbeddedProject('stagegate-finish-');

it('resolve signalled while the embedded server starts finishes first, with its own result (as README and the notice say)', async () => {
  // Prepare: a failed no-transaction migration to resolve, and the server stopped again
  project.writeMigrations({ 'a/0001_bad.sql': '-- stagegate:no-transaction\nSELECT 1/0;' });
  expect((await runCli(['migrate'], { cwd: project.dir, env: project.env() })).code).toBe(1);
  await waitFor(async () => ((await project.postmasterPid()) === null ? true : null), 'the server to stop');
  const started = startCli(['resolve', 'a/0001_bad', '--rolled-back', '--reason', 'settled by hand', '--json'], { cwd: project.dir, env: project.env() });
  await waitFor(project.postmasterPid, 'the postmaster pid file');
  // Act
  started.child.kill('SIGTERM');
  const result = await started.done;
  // Assess
  expect(result.stderr).toContain('it finishes first, then exits');
  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, action: 'resolve', id: 'a/0001_bad', outcome: 'rolled-back' });
  await waitFor(async () => ((await project.postmasterPid()) === null ? true : null), 'the server to stop after the command');
}, 120_000);

it('adopt signalled as a terminal does (the embedded server gets the Ctrl-C too): INTERRUPTED saying the server shut down, not a refusal that blames the history', async () => {
  // Prepare: one migration applied; adopt replays a slow one on the embedded server
  project.use('group');
  project.writeMigrations({ 'a/0001_init.sql': 'CREATE TABLE f_init (id int);' });
  expect((await runCli(['migrate', '--json'], { cwd: project.dir, env: project.env() })).code).toBe(0);
  project.writeMigrations({ 'a/0002_slow.sql': 'SELECT pg_sleep(8);\nCREATE TABLE f_slow (id int);' });
  const started = startCli(['adopt', 'a/0002_slow', '--json'], { cwd: project.dir, env: project.env(), detached: true });
  await project.running('pg_sleep(8)');
  // Act
  process.kill(-(started.child.pid as number), 'SIGINT');
  const { code, stdout, stderr } = await started.done;
  // Assess
  expect(stderr).toContain('on the embedded server, a terminal\'s Ctrl-C also shuts the server down');
  expect(code).toBe(130);
  const error = JSON.parse(stdout.trim().split('\n').pop() as string).error;
  expect(error.code).toBe('INTERRUPTED');
  expect(error.message).toContain('the embedded server it ran on got the signal too');
  expect(error.remedy).not.toContain('history');
}, 120_000);
