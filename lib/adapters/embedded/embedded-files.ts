/**
 * The embedded server's files and probes: where its data lives, the stored
 * port and password (`.stagegate/embedded.json`), and whether a server is
 * already running there.
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { EmbeddedPostgresError } from '../../core/errors';

export const DATABASE = 'stagegate';
export const SUPERUSER = 'postgres';
const PROBE_TIMEOUT_MS = 3_000;

/** What `.stagegate/embedded.json` holds. */
export interface EmbeddedState {
  port: number;
  password: string;
}

/** `.stagegate/postgres`, unless the `postgres` user (when we are root) cannot reach it. */
export async function chooseDataDir(home: string, projectDir: string): Promise<string> {
  if ((await mkdir(home, { recursive: true })) !== undefined) await chmod(home, 0o755);
  if (!isRoot() || (await othersCanEnter(home))) return join(home, 'postgres');
  const hash = createHash('sha256').update(resolve(projectDir)).digest('hex').slice(0, 16);
  return join(tmpdir(), `stagegate-${hash}`);
}

export async function othersCanEnter(path: string): Promise<boolean> {
  for (let dir = path; ; dir = dirname(dir)) {
    if (((await stat(dir)).mode & fsConstants.S_IXOTH) === 0) return false;
    if (dirname(dir) === dir) return true;
  }
}

/**
 * The port of a server already running on this data directory or answering on
 * `port` with our password; undefined when there is none. A server that answers
 * but rejects the password is someone else's, and the port cannot be used.
 */
export async function findRunning(dataDir: string, port: number, password: string): Promise<number | undefined> {
  const candidates = new Set([await livePidFilePort(dataDir), port]);
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    const answer = await probe(candidate, password);
    if (answer === 'ours') return candidate;
    if (answer !== 'free') {
      const where = { dataDir, port: candidate, output: [] };
      throw new EmbeddedPostgresError(`port ${candidate} is taken by another server (${answer.other})`, where, {
        remedy: 'Stop the other server, or set STAGEGATE_EMBEDDED_PORT to a free port, or set DATABASE_URL to use that server; nothing was run.',
      });
    }
  }
  return undefined;
}

/** The port in `postmaster.pid` when the process it names is alive (a dead one is stale: postgres removes it). */
async function livePidFilePort(dataDir: string): Promise<number | undefined> {
  const lines = (await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return port;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? port : undefined;
  }
}

async function probe(port: number, password: string): Promise<'ours' | 'free' | { other: string }> {
  try {
    await withClient(port, password, async () => {});
    return 'ours';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') return 'free';
    return { other: error instanceof Error ? error.message : String(error) };
  }
}

export async function ensureDatabase(port: number, password: string): Promise<void> {
  await withClient(port, password, async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (found.rowCount !== 0) return;
    // A constant identifier: CREATE DATABASE takes no parameters. 42P04: a concurrent run created it.
    await client.query(`CREATE DATABASE ${DATABASE}`).catch((error: { code?: string }) => {
      if (error.code !== '42P04') throw error;
    });
  });
}

async function withClient<T>(port: number, password: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    ...{ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres' },
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function readState(file: string): Promise<EmbeddedState | undefined> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  let state: Partial<EmbeddedState> | null = null;
  try {
    state = JSON.parse(text) as Partial<EmbeddedState> | null;
  } catch {
    // Reported below.
  }
  if (!Number.isInteger(state?.port) || typeof state?.password !== 'string' || state.password === '') {
    throw new Error(`${file} does not hold a port and a password`);
  }
  return state as EmbeddedState;
}

export async function writeState(file: string, state: EmbeddedState): Promise<void> {
  await writeFile(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
}

export function urlOf(port: number, password: string): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
