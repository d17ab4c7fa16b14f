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
