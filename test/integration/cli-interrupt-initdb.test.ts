/**
 * Ctrl-C typed in a terminal during the embedded server's first use reaches
 * the initdb the CLI started too (same process group): the command is
 * interrupted, not failed, and nothing is left that the next run trips on.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../lib/local/free-port';
import { isAlive } from '../support/server-probe';
import { runCli } from '../support/workspace';

let root: string;
let projectDir: string;
let dataDir: string;
let port: number;
const CLI = resolve(__dirname, '../../dist/stagegate.cjs');

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'stagegate-initdb-'));
  await chmod(root, 0o755);
  projectDir = join(root, 'project');
  dataDir = join(projectDir, '.stagegate', 'postgres');
  port = await freePort();
});
afterAll(async () => {
  const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
  if (pid > 0 && isAlive(pid)) {
    process.kill(pid, 'SIGINT');
    for (let waited = 0; isAlive(pid) && waited < 10_000; waited += 100) await sleep(100);
  }
  await rm(root, { recursive: true, force: true });
});

it('Ctrl-C during the first-use initdb: that run ends INTERRUPTED (130), and the next migrate works', async () => {
  const path = join(projectDir, 'migrations', 'a/0001_init.sql');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, 'CREATE TABLE i_init (id int);');
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', STAGEGATE_EMBEDDED_PORT: String(port) };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [CLI, 'migrate', '--json'], { cwd: projectDir, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<number | null>((ok) => child.on('close', (code) => ok(code)));
  for (let i = 0; i < 400 && !existsSync(join(dataDir, 'PG_VERSION')) && !existsSync(join(dataDir, 'base')); i += 1) await sleep(10);
  process.kill(-(child.pid as number), 'SIGINT');
  const code = await done;
  const next = await runCli(['migrate', '--json'], { cwd: projectDir, env: { DATABASE_URL: undefined, STAGEGATE_EMBEDDED_PORT: String(port) } });
  expect(code).toBe(130);
  expect(JSON.parse(stdout.trim().split('\n').pop() as string).error.code).toBe('INTERRUPTED');
  expect(stderr).not.toContain('EMBEDDED_POSTGRES_FAILED');
  expect(next.code).toBe(0);
}, 120_000);
