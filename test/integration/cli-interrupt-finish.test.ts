/**
 * Commands that do not stop part-way (resolve, adopt, squash, drift
 * --accept) finish first, with their own result, also when the signal comes
 * while the embedded default starts (`resolve`, SIGTERM during start-up) and
 * when a terminal's Ctrl-C reaches the whole process group while they run on
 * it (`adopt`, `squash`): the server runs in a group of its own, so it is still there.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { useEmbeddedProject, waitFor } from '../support/embedded-project';
import { cliJson, runCli, startCli } from '../support/workspace';

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

it('adopt signalled as a terminal does (the whole process group gets the Ctrl-C): it finishes on the embedded server, which only the CLI stops, with its own result', async () => {
  // Prepare: one migration applied; adopt replays a slow one on the embedded server
  project.use('group');
  project.writeMigrations({ 'a/0001_init.sql': 'CREATE TABLE f_init (id int);' });
  expect((await runCli(['migrate', '--json'], { cwd: project.dir, env: project.env() })).code).toBe(0);
  project.writeMigrations({ 'a/0002_slow.sql': 'SELECT pg_sleep(8);\nCREATE TABLE f_slow (id int);' });
  const started = startCli(['adopt', 'a/0002_slow', '--force', '--reason', 'made by hand', '--json'], { cwd: project.dir, env: project.env(), detached: true });
  await project.running('pg_sleep(8)');
  // Act
  process.kill(-(started.child.pid as number), 'SIGINT');
  const { code, stdout, stderr } = await started.done;
  const status = await runCli(['status', '--json'], { cwd: project.dir, env: project.env() });
  // Assess
  expect(stderr).toContain('it finishes first, then exits');
  expect({ code, out: cliJson(stdout) }).toEqual({ code: 0, out: expect.objectContaining({ ok: true, action: 'adopt', id: 'a/0002_slow', reason: 'made by hand' }) });
  expect(cliJson(status.stdout).migrations).toContainEqual(expect.objectContaining({ id: 'a/0002_slow', state: 'applied' }));
  await waitFor(async () => ((await project.postmasterPid()) === null ? true : null), 'the server to stop after the command', 10_000);
}, 120_000);

it('squash signalled as a terminal does while it replays on the embedded server: it finishes, proven, and writes its file', async () => {
  // Prepare: squash replays a slow migration on the embedded server
  project.use('squash');
  project.writeMigrations({ 'a/0001_init.sql': 'CREATE TABLE q_init (id int);', 'a/0002_slow.sql': 'SELECT pg_sleep(4);\nCREATE TABLE q_slow (id int);' });
  const started = startCli(['squash', 'a', '--to', '0002', '--json'], { cwd: project.dir, env: project.env(), detached: true });
  await project.running('pg_sleep(4)');
  // Act
  process.kill(-(started.child.pid as number), 'SIGINT');
  const { code, stdout, stderr } = await started.done;
  // Assess
  expect(stderr).toContain('it finishes first, then exits');
  expect({ code, out: cliJson(stdout) }).toEqual({ code: 0, out: expect.objectContaining({ ok: true, action: 'squash', squash: 'a/0002_squashed_0001_0002', proven: true }) });
  expect(existsSync(join(project.dir, 'migrations', 'a', '0002_squashed_0001_0002.sql'))).toBe(true);
  await waitFor(async () => ((await project.postmasterPid()) === null ? true : null), 'the server to stop after the command', 10_000);
}, 120_000);
