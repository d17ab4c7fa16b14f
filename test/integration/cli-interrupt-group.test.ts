/**
 * Ctrl-C typed in a terminal goes to the whole foreground process group, so
 * the embedded postgres the CLI spawned (same group) gets SIGINT too, and
 * shuts down fast. The CLI is started in a group of its own (as a shell's
 * job) and signalled as a terminal does: kill(-pgid, SIGINT).
 */
import { useEmbeddedProject } from '../support/embedded-project';
import { cliJson, startCli } from '../support/workspace';

const project = useEmbeddedProject('stagegate-group-');

it.each([
  ['SIGINT', 130, 'g1'],
  ['SIGTERM', 143, 'g2'],
] as const)('%s to the process group (a terminal\'s Ctrl-C; coreutils timeout) on the embedded server: INTERRUPTED, signal exit code, committed one reported', async (signal, exitCode, dir) => {
  // Prepare: the second migration sleeps on the embedded server
  project.use(dir);
  project.writeMigrations({ 'a/0001_init.sql': 'CREATE TABLE g_init (id int);', 'a/0002_slow.sql': 'CREATE TABLE g_slow (id int);\nSELECT pg_sleep(30);' });
  const started = startCli(['migrate', '--json'], { cwd: project.dir, env: project.env(), detached: true });
  await project.running('pg_sleep(30)');
  // Act: as the terminal does on Ctrl-C
  process.kill(-(started.child.pid as number), signal);
  const { code, stdout, stderr } = await started.done;
  // Assess
  expect({ code, failed: stderr.includes('MIGRATION_FAILED') }).toEqual({ code: exitCode, failed: false });
  const out = cliJson(stdout);
  expect(out).toMatchObject({ ok: false, error: { code: 'INTERRUPTED', interrupted: { id: 'a/0002_slow', left: 'rolled-back' } } });
  expect(out.applied.map((a: { id: string }) => a.id)).toEqual(['a/0001_init']);
}, 120_000);
