/**
 * The embedded default database: a local PostgreSQL server whose data lives in
 * the project (`.stagegate/postgres`), started on demand when the CLI is given
 * no database URL. It is for local work; deployments always name a server.
 * Its initdb and postgres run in a process group of their own (see
 * `embedded-programs.ts`): a terminal's Ctrl-C reaches only the CLI, which
 * stops the server once its command has ended.
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { EmbeddedPostgresError, type EmbeddedPostgresFailure } from '../../core/errors';
import { chooseDataDir, ensureDatabase, exists, findRunning, isRoot, othersCanEnter, readState, urlOf, writeState } from './embedded-files';
import { initialise, loadPrograms, programsDir, runAsOf, start, type PostgresProcess } from './embedded-programs';

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
  const onOutput = collectOutput(context, verbose);
  const programs = await loadPrograms();
  await assertProgramsReachable(context);
  const runAs = await runAsOf();
  if (!initialised) {
    context.say(`Initialising the embedded PostgreSQL database in ${dataDir} (first use).`);
    await initialise(programs, runAs, { dataDir, password, onOutput });
  }
  let server: PostgresProcess | undefined;
  const onStarted = (started: PostgresProcess): void => void (server = started);
  await withinTime(start(programs, runAs, { dataDir, port, flags: POSTGRES_FLAGS, onOutput, onStarted }), START_TIMEOUT_MS, 'PostgreSQL did not become ready').catch(
    async (error: unknown) => {
      // After a timeout postgres may still be running.
      if (error instanceof TimeoutError && server) await stopServer(server, context);
      throw error;
    },
  );
  context.detail(`Started the embedded PostgreSQL server on port ${port}.`);
  const close = (): Promise<void> => stopServer(server as PostgresProcess, context);
  await ensureDatabase(port, password).catch(async (error: unknown) => {
    await close();
    throw error;
  });
  return close;
}

/** Keeps PostgreSQL's last lines for an error report; with `verbose`, passes them on as they come. */
function collectOutput(context: Context, verbose: boolean): (text: string) => void {
  return (text) => {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      context.output.push(line.trimEnd());
      if (verbose) context.say(`postgres: ${line.trimEnd()}`);
    }
    context.output.splice(0, Math.max(0, context.output.length - OUTPUT_LINES));
  };
}

/** As root the programs run as `postgres`; spawning one it cannot reach crashes the process (EACCES). */
async function assertProgramsReachable(context: Context): Promise<void> {
  const programs = await programsDir();
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
async function stopServer(server: PostgresProcess, context: Context): Promise<void> {
  try {
    await withinTime(server.stop(), STOP_TIMEOUT_MS, 'PostgreSQL did not stop');
    context.detail(`Stopped the embedded PostgreSQL server on port ${context.where.port}.`);
  } catch (error) {
    context.say(`Could not stop the embedded PostgreSQL server in ${context.where.dataDir}: ${String(error)}`);
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
