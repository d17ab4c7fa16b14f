/**
 * Integration: SIGTERM sent to the built CLI running on the embedded default
 * database (no DATABASE_URL): the run stops at a safe point and the server
 * the CLI started is stopped as on a normal exit, whether the signal comes
 * while it starts or while a migration runs on it; killed outright, the CLI
 * leaves the server running for the next command to find.
 */
import { useEmbeddedProject, waitFor } from '../support/embedded-project';
import { accepts, isAlive } from '../support/server-probe';
import { cliJson, runCli, startCli } from '../support/workspace';

const project = useEmbeddedProject('stagegate-interrupt-');

/** The CLI on the embedded default: no DATABASE_URL, the server on a free port. */
const start = (args: string[]): ReturnType<typeof startCli> => startCli(args, { cwd: project.dir, env: project.env() });

/** What the test asserts after every signal: no postmaster left, nothing listening on the port. */
async function assertServerStopped(pid: number): Promise<void> {
  expect(isAlive(pid)).toBe(false);
  expect(await project.postmasterPid()).toBeNull();
  expect(await accepts(project.port)).toBe(false);
}

describe('Integration: SIGTERM to the CLI on the embedded default database', () => {
  it('while the embedded server starts (first use): it starts, nothing runs, it is stopped, and no postmaster remains', async () => {
    // Prepare
    project.writeMigrations({ 'a/0001_init.sql': 'CREATE TABLE starting (id int);' });
    const started = start(['migrate', '--json']);
    const pid = await waitFor(project.postmasterPid, 'the postmaster pid file');
    // Act
    started.child.kill('SIGTERM');
    const result = await started.done;
    // Assess
    expect(result.code).toBe(143);
    expect(cliJson(result.stdout)).toMatchObject({ ok: false, applied: [], error: { code: 'INTERRUPTED', signal: 'SIGTERM' } });
    await assertServerStopped(pid);
  }, 90_000);

  it('while a migration sleeps on it: the committed one is reported, the interrupted one rolled back, and no postmaster remains', async () => {
    // Prepare
    project.writeMigrations({ 'a/0001_init.sql': 'CREATE TABLE starting (id int);', 'a/0002_slow.sql': 'CREATE TABLE slow (id int);\nSELECT pg_sleep(30);' });
    const started = start(['migrate']);
    await project.running('pg_sleep(30)');
    const pid = (await project.postmasterPid()) as number;
    // Act
    started.child.kill('SIGTERM');
    const result = await started.done;
    // Assess
    expect(result.code).toBe(143);
    expect(result.stderr).toContain('stagegate migrate was interrupted by SIGTERM: a/0002_slow (');
    expect(result.stderr).toContain('cancelled and rolled back; committed before it: a/0001_init.');
    await assertServerStopped(pid);
  }, 90_000);

  it('status, which only reads, stopped while the server starts: INTERRUPTED, exit 130, and no postmaster remains', async () => {
    // Prepare: the data directory exists by now, so the server starts quickly
    const started = start(['status', '--json']);
    const pid = await waitFor(project.postmasterPid, 'the postmaster pid file');
    // Act
    started.child.kill('SIGINT');
    const result = await started.done;
    // Assess
    expect(result.code).toBe(130);
    expect(cliJson(result.stdout)).toMatchObject({ ok: false, error: { code: 'INTERRUPTED', signal: 'SIGINT' } });
    await assertServerStopped(pid);
  }, 90_000);

  it('a second signal quits at once, and the postgres it started is still asked to shut down', async () => {
    // Prepare
    const started = start(['migrate', '--json']);
    const pid = await waitFor(project.postmasterPid, 'the postmaster pid file');
    // Act
    // The second once the first was seen (two at once are one pending signal to the kernel)
    const noticed = new Promise<void>((done) => started.child.stderr?.on('data', (chunk: Buffer) => chunk.toString().includes('Press Ctrl-C again') && done()));
    started.child.kill('SIGTERM');
    await noticed;
    started.child.kill('SIGTERM');
    const result = await started.done;
    // Assess: no INTERRUPTED result (it did not wait for one), the exit code of the signal, and the postmaster goes
    expect(result.code).toBe(143);
    expect(result.stderr).toContain('stagegate: SIGTERM again: quitting without waiting.');
    expect(result.stdout).toBe('');
    await waitFor(async () => (isAlive(pid) ? null : true), 'the postmaster to exit', 10_000);
    await assertServerStopped(pid);
  }, 90_000);

  it('SIGKILL (no exit hook can run): the server goes on, and the next command finds it running, uses it and leaves it running', async () => {
    // Prepare: a project of its own, a migration sleeping on its server
    project.use('killed');
    project.writeMigrations({ 'a/0001_init.sql': 'CREATE TABLE k_init (id int);', 'a/0002_slow.sql': 'CREATE TABLE k_slow (id int);\nSELECT pg_sleep(3);' });
    const started = start(['migrate', '--json']);
    await project.running('pg_sleep(3)');
    const pid = (await project.postmasterPid()) as number;
    // Act
    started.child.kill('SIGKILL');
    await started.done;
    const next = await runCli(['migrate', '--json', '--verbose'], { cwd: project.dir, env: project.env() });
    // Assess
    expect({ code: next.code, alive: isAlive(pid), pidFile: await project.postmasterPid() }).toEqual({ code: 0, alive: true, pidFile: pid });
    expect(next.stderr).toContain(`Using the embedded PostgreSQL server already running on port ${project.port}.`);
    expect(cliJson(next.stdout).applied.map((a: { id: string }) => a.id)).toEqual(['a/0002_slow']);
    process.kill(pid, 'SIGINT');
    await waitFor(async () => (isAlive(pid) ? null : true), 'the postmaster to exit', 10_000);
  }, 90_000);
});
