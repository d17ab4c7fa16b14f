import { mkdirSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from '../../lib/local/free-port';
import { isAlive } from './server-probe';

/**
 * Polls `probe` every 50 ms until it returns something other than null, for at most `ms`.
 *
 * @example
 * const pid = await waitFor(project.postmasterPid, 'the postmaster pid file');
 */
export async function waitFor<T>(probe: () => Promise<T | null>, what: string, ms = 60_000): Promise<T> {
  for (let waited = 0; waited < ms; waited += 50) {
    const value = await probe();
    if (value !== null) return value;
    await sleep(50);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** A project folder for the CLI on the embedded default database (no DATABASE_URL), on a free port. */
export interface EmbeddedProject {
  /** The project folder (the CLI's working directory). */
  readonly dir: string;
  /** The embedded server's data, `<dir>/.stagegate/postgres`. */
  readonly dataDir: string;
  readonly port: number;
  /** Moves to another project folder under the same root: its own data, the same port. */
  use(name: string): void;
  writeMigrations(files: Record<string, string>): void;
  /** The postmaster's pid from its pid file, or null when there is none. */
  postmasterPid(): Promise<number | null>;
  /** Resolves once a statement containing `marker` runs on the project's server (its password from `.stagegate/embedded.json`). */
  running(marker: string): Promise<true>;
  /** The CLI's environment for the embedded default. */
  env(): Record<string, string | undefined>;
}

/**
 * Registers the hooks that make a project under the OS temp folder (one the
 * `postgres` user can enter when tests run as root) and remove it at the end,
 * stopping a server a failed case left behind first.
 *
 * @example
 * const project = useEmbeddedProject('stagegate-interrupt-');
 */
export function useEmbeddedProject(prefix: string): EmbeddedProject {
  let root = '';
  let dir = '';
  let port = 0;
  const dataDir = (): string => join(dir, '.stagegate', 'postgres');
  const postmasterPid = async (): Promise<number | null> => {
    const pid = Number((await readFile(join(dataDir(), 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
    return pid > 0 ? pid : null;
  };
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), prefix));
    await chmod(root, 0o755);
    dir = join(root, 'project');
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
  return {
    get dir() {
      return dir;
    },
    get dataDir() {
      return dataDir();
    },
    get port() {
      return port;
    },
    use: (name) => void (dir = join(root, name)),
    writeMigrations(files) {
      for (const [name, sql] of Object.entries(files)) {
        const path = join(dir, 'migrations', name);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, sql);
      }
    },
    postmasterPid,
    async running(marker) {
      // Null until the CLI has written the whole file (it may be read half-written).
      const readPassword = async (): Promise<string | null> => {
        try {
          return (JSON.parse(await readFile(join(dir, '.stagegate', 'embedded.json'), 'utf8')) as { password: string }).password;
        } catch {
          return null;
        }
      };
      const password = await waitFor(readPassword, 'the state file');
      return waitFor(async () => {
        const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'stagegate' });
        try {
          await client.connect();
          const { rows } = await client.query(`select 1 from pg_stat_activity where state = 'active' and query like $1 and pid <> pg_backend_pid()`, [`%${marker}%`]);
          return rows.length > 0 ? true : null;
        } catch {
          return null;
        } finally {
          await client.end().catch(() => undefined);
        }
      }, `a statement with ${marker}`);
    },
    env: () => ({ DATABASE_URL: undefined, STAGEGATE_EMBEDDED_PORT: String(port) }),
  };
}
