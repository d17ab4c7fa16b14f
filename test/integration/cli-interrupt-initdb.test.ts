/**
 * Ctrl-C typed in a terminal during the embedded server's first use: the
 * initdb the CLI started runs in a process group of its own, so the
 * terminal's signal does not cut it. It completes, the command ends
 * INTERRUPTED before it changed anything, and the next run uses the complete
 * data folder. A second Ctrl-C quits at once: the CLI's exit hook stops what
 * it spawned, whose half-made folder is never the data folder, and the next
 * run starts cleanly (removing that folder).
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { useEmbeddedProject, waitFor } from '../support/embedded-project';
import { isAlive } from '../support/server-probe';
import { cliJson, runCli, startCli, type StartedCli } from '../support/workspace';

const project = useEmbeddedProject('stagegate-initdb-');

/** Where initdb has begun writing: the folder it initialises (`postgres.initialising-<pid>`), the data folder itself, or not yet. */
function initdbWriting(): 'beside' | 'data folder' | null {
  const home = dirname(project.dataDir);
  const begun = (folder: string): boolean => existsSync(join(folder, 'PG_VERSION')) || existsSync(join(folder, 'base'));
  if (existsSync(home) && readdirSync(home).some((name) => name.startsWith('postgres.initialising-') && begun(join(home, name)))) return 'beside';
  return begun(project.dataDir) ? 'data folder' : null;
}

/** Starts `migrate` as a shell's job and waits until initdb has begun writing; says where it writes. */
async function startDuringInitdb(): Promise<{ started: StartedCli; writing: string | null }> {
  project.writeMigrations({ 'a/0001_init.sql': 'CREATE TABLE i_init (id int);' });
  const started = startCli(['migrate', '--json'], { cwd: project.dir, env: project.env(), detached: true });
  let writing = initdbWriting();
  for (let i = 0; i < 400 && writing === null; i += 1) {
    await sleep(10);
    writing = initdbWriting();
  }
  return { started, writing };
}

it('Ctrl-C during the first-use initdb: initdb completes, that run ends INTERRUPTED (130), and the next migrate uses the data folder it made', async () => {
  // Prepare
  project.use('once');
  const { started, writing } = await startDuringInitdb();
  // Act
  process.kill(-(started.child.pid as number), 'SIGINT');
  const { code, stdout, stderr } = await started.done;
  const complete = existsSync(join(project.dataDir, 'global', 'pg_control'));
  const next = await runCli(['migrate', '--json'], { cwd: project.dir, env: project.env() });
  // Assess
  // Never a half-made cluster in the data folder: initdb writes beside it
  expect({ writing, code, error: cliJson(stdout).error.code, complete }).toEqual({ writing: 'beside', code: 130, error: 'INTERRUPTED', complete: true });
  expect(stderr).toContain('Initialising the embedded PostgreSQL database');
  expect(stderr).not.toContain('EMBEDDED_POSTGRES_FAILED');
  expect({ code: next.code, initialisedAgain: next.stderr.includes('Initialising') }).toEqual({ code: 0, initialisedAgain: false });
  expect(cliJson(next.stdout).applied).toEqual([expect.objectContaining({ id: 'a/0001_init' })]);
}, 120_000);

it('a second Ctrl-C during the first-use initdb quits at once; what it spawned is stopped, and the next migrate starts cleanly', async () => {
  // Prepare
  project.use('twice');
  const { started, writing } = await startDuringInitdb();
  const noticed = new Promise<void>((done) => started.child.stderr?.on('data', (chunk: Buffer) => chunk.toString().includes('Press Ctrl-C again') && done()));
  // Act: the second once the first was seen (two at once are one pending signal to the kernel)
  process.kill(-(started.child.pid as number), 'SIGINT');
  await noticed;
  process.kill(-(started.child.pid as number), 'SIGINT');
  const { code, stderr } = await started.done;
  // initdb stops, or (when it had finished) the postgres started after it shuts down
  const pid = await project.postmasterPid();
  if (pid !== null) await waitFor(async () => (isAlive(pid) ? null : true), 'the postmaster to exit', 10_000);
  await sleep(500);
  const next = await runCli(['migrate', '--json'], { cwd: project.dir, env: project.env() });
  // Assess
  expect({ writing, code, quit: stderr.includes('SIGINT again: quitting without waiting') }).toEqual({ writing: 'beside', code: 130, quit: true });
  expect({ code: next.code, error: next.code === 0 ? null : cliJson(next.stdout).error }).toEqual({ code: 0, error: null });
  expect(readdirSync(dirname(project.dataDir)).filter((name) => name.startsWith('postgres.initialising-'))).toEqual([]);
}, 120_000);
