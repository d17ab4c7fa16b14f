/**
 * Integration: SIGTERM sent to the built CLI running on the embedded default
 * database (no DATABASE_URL): the run stops at a safe point and the server
 * the CLI started is stopped as on a normal exit, whether the signal comes
 * while it starts or while a migration runs on it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from '../../lib/local/free-port';
import { accepts, isAlive } from '../support/server-probe';
import { cliJson, startCli } from '../support/workspace';

let root: string;
let projectDir: string;
let dataDir: string;
let port: number;

/** The postmaster's pid from its pid file, or null when there is none. */
async function postmasterPid(): Promise<number | null> {
  const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
  return pid > 0 ? pid : null;
}

async function waitFor<T>(probe: () => Promise<T | null>, what: string, ms = 60_000): Promise<T> {
  for (let waited = 0; waited < ms; waited += 50) {
    const value = await probe();
    if (value !== null) return value;
    await sleep(50);
  }
  throw new Error(`gave up waiting for ${what}`);
}

function writeMigrations(files: Record<string, string>): void {
  for (const [name, sql] of Object.entries(files)) {
    const path = join(projectDir, 'migrations', name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, sql);
  }
}

/** The CLI on the embedded default: no DATABASE_URL, the server on a free port. */
const start = (args: string[]): ReturnType<typeof startCli> =>
  startCli(args, { cwd: projectDir, env: { DATABASE_URL: undefined, STAGEGATE_EMBEDDED_PORT: String(port) } });

/** What the test asserts after every signal: no postmaster left, nothing listening on the port. */
async function assertServerStopped(pid: number): Promise<void> {
  expect(isAlive(pid)).toBe(false);
  expect(await postmasterPid()).toBeNull();
  expect(await accepts(port)).toBe(false);
}

beforeAll(async () => {
  // A project the `postgres` user can enter (we may run as root), so the data stays in <project>/.stagegate/postgres.
  root = await mkdtemp(join(tmpdir(), 'stagegate-interrupt-'));
  await chmod(root, 0o755);
  projectDir = join(root, 'project');
  dataDir = join(projectDir, '.stagegate', 'postgres');
  port = await freePort();
});

afterAll(async () => {
  // A server left behind by a failed case: stop it before removing its files.
  const pid = await postmasterPid();
  if (pid !== null && isAlive(pid)) {
    process.kill(pid, 'SIGINT');
    for (let waited = 0; isAlive(pid) && waited < 10_000; waited += 100) await sleep(100);
  }
  await rm(root, { recursive: true, force: true });
});

describe('Integration: SIGTERM to the CLI on the embedded default database', () => {
  it('while the embedded server starts (first use): it starts, nothing runs, it is stopped, and no postmaster remains', async () => {
    // Prepare
    writeMigrations({ 'a/0001_init.sql': 'CREATE TABLE starting (id int);' });
    const started = start(['migrate', '--json']);
    const pid = await waitFor(postmasterPid, 'the postmaster pid file');
    // Act
    started.child.kill('SIGTERM');
    const result = await started.done;
    // Assess
    expect(result.code).toBe(143);
    expect(cliJson(result.stdout)).toMatchObject({ ok: false, applied: [], error: { code: 'INTERRUPTED', signal: 'SIGTERM' } });
    await assertServerStopped(pid);
  }, 90_000);

  it('while a migration sleeps on it: the committed one is reported, the interrupted one rolled back, and no postmaster remains', async () => {
    // Prepare: the server's password is in .stagegate/embedded.json, for watching the run
    writeMigrations({ 'a/0001_init.sql': 'CREATE TABLE starting (id int);', 'a/0002_slow.sql': 'CREATE TABLE slow (id int);\nSELECT pg_sleep(30);' });
    const started = start(['migrate']);
    const { password } = JSON.parse(await waitFor(() => readFile(join(projectDir, '.stagegate', 'embedded.json'), 'utf8').catch(() => null), 'the state file')) as { password: string };
    const sleeping = async (): Promise<true | null> => {
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'stagegate' });
      try {
        await client.connect();
        const { rows } = await client.query(`select 1 from pg_stat_activity where state = 'active' and query like '%pg_sleep(30)%' and pid <> pg_backend_pid()`);
        return rows.length > 0 ? true : null;
      } catch {
        return null;
      } finally {
        await client.end().catch(() => undefined);
      }
    };
    await waitFor(sleeping, 'the sleeping migration');
    const pid = (await postmasterPid()) as number;
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
    const pid = await waitFor(postmasterPid, 'the postmaster pid file');
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
    const pid = await waitFor(postmasterPid, 'the postmaster pid file');
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
});
