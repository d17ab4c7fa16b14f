/**
 * Commands that do not stop part-way (resolve, adopt, squash, drift
 * --accept) finish first, with their own result, also when the signal comes
 * while the embedded default starts: `resolve`, SIGTERM during start-up.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../lib/local/free-port';
import { isAlive } from '../support/server-probe';
import { runCli, startCli } from '../support/workspace';

let root: string;
let projectDir: string;
let dataDir: string;
let port: number;

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
const env = (): Record<string, string | undefined> => ({ DATABASE_URL: undefined, STAGEGATE_EMBEDDED_PORT: String(port) });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'stagegate-finish-'));
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

it('resolve signalled while the embedded server starts finishes first, with its own result (as README and the notice say)', async () => {
  // Prepare: a failed no-transaction migration to resolve
  const path = join(projectDir, 'migrations', 'a/0001_bad.sql');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '-- stagegate:no-transaction\nSELECT 1/0;');
  const failed = await runCli(['migrate'], { cwd: projectDir, env: env() });
  expect(failed.code).toBe(1);
  await waitFor(async () => ((await postmasterPid()) === null ? true : null), 'the server to stop');
  const started = startCli(['resolve', 'a/0001_bad', '--rolled-back', '--reason', 'settled by hand', '--json'], { cwd: projectDir, env: env() });
  await waitFor(postmasterPid, 'the postmaster pid file');
  // Act
  started.child.kill('SIGTERM');
  const result = await started.done;
  // Assess
  expect(result.stderr).toContain('it finishes first, then exits');
  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, action: 'resolve', id: 'a/0001_bad', outcome: 'rolled-back' });
  await waitFor(async () => ((await postmasterPid()) === null ? true : null), 'the server to stop after the command');
}, 120_000);
