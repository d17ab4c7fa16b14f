/**
 * Ctrl-C typed in a terminal goes to the whole foreground process group, so
 * the embedded postgres the CLI spawned (same group) gets SIGINT too, and
 * shuts down fast. The CLI is spawned detached (its own group, as a shell's
 * job) and signalled as a terminal does: kill(-pgid, SIGINT).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from '../../lib/local/free-port';
import { isAlive } from '../support/server-probe';

let root: string;
let projectDir: string;
let dataDir: string;
let port: number;
const CLI = resolve(__dirname, '../../dist/stagegate.cjs');

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

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'stagegate-group-'));
  await chmod(root, 0o755);
  projectDir = join(root, 'project');
  dataDir = join(projectDir, '.stagegate', 'postgres');
  port = await freePort();
});
afterAll(async () => {
  const pid = await postmasterPid();
  if (pid !== null && isAlive(pid)) {
    process.kill(pid, 'SIGINT');
    for (let waited = 0; isAlive(pid) && waited < 10_000; waited += 100) await sleep(100);
  }
  await rm(root, { recursive: true, force: true });
});

it.each([
  ['SIGINT', 130, 'g1'],
  ['SIGTERM', 143, 'g2'],
] as const)('%s to the process group (a terminal\'s Ctrl-C; coreutils timeout) on the embedded server: INTERRUPTED, signal exit code, committed one reported', async (signal, exitCode, dir) => {
  projectDir = join(root, dir);
  dataDir = join(projectDir, '.stagegate', 'postgres');
  for (const [name, sql] of Object.entries({ 'a/0001_init.sql': 'CREATE TABLE g_init (id int);', 'a/0002_slow.sql': 'CREATE TABLE g_slow (id int);\nSELECT pg_sleep(30);' })) {
    const path = join(projectDir, 'migrations', name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, sql);
  }
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', STAGEGATE_EMBEDDED_PORT: String(port) };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [CLI, 'migrate', '--json'], { cwd: projectDir, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<number | null>((ok) => child.on('close', (code) => ok(code)));
  const { password } = JSON.parse(await waitFor(() => readFile(join(projectDir, '.stagegate', 'embedded.json'), 'utf8').catch(() => null), 'state file')) as { password: string };
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
  // Act: as the terminal does on Ctrl-C
  process.kill(-(child.pid as number), signal);
  const code = await done;
  // Assess
  expect({ code, stderr: stderr.includes('MIGRATION_FAILED') }).toEqual({ code: exitCode, stderr: false });
  const out = JSON.parse(stdout.trim().split('\n').pop() as string);
  expect(out).toMatchObject({ ok: false, error: { code: 'INTERRUPTED', interrupted: { id: 'a/0002_slow', left: 'rolled-back' } } });
  expect(out.applied.map((a: { id: string }) => a.id)).toEqual(['a/0001_init']);
}, 120_000);
