import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { FolderBundleSource } from '../../lib/adapters/fs/folder-bundle-source';
import { PgMigrationDatabase } from '../../lib/adapters/postgres';
import { runMigrations, type RunRequest, type RunSettings } from '../../lib/run';
import type { Clock, Logger } from '../../lib/ports';
import type { RunResult } from '../../lib/core/result';

/** A temporary project folder; `remove()` deletes it. */
export interface Workspace {
  dir: string;
  /** Writes migration files (paths relative to `migrations/`), replacing the folder's contents. */
  migrations(files: Record<string, string>): string;
  remove(): void;
}

/** The repository's example migrations (copy them; never change them in a test). */
export const REPO_MIGRATIONS = resolve(__dirname, '../../migrations');

/**
 * Copies the example apps into `<dir>/migrations` and returns that folder.
 *
 * @example
 * const folder = copyExampleApps(ws.dir);
 */
export function copyExampleApps(dir: string): string {
  const folder = join(dir, 'migrations');
  cpSync(REPO_MIGRATIONS, folder, { recursive: true });
  return folder;
}

export function createWorkspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-ws-'));
  chmodSync(dir, 0o755);
  return {
    dir,
    migrations(files) {
      const root = join(dir, 'migrations');
      rmSync(root, { recursive: true, force: true });
      mkdirSync(root, { recursive: true });
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), content);
      }
      return root;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Registers the hooks that give each test a new workspace and remove it
 * afterwards. The returned handle always points at the current workspace.
 *
 * @example
 * const ws = useWorkspace();
 * it('…', () => { ws.migrations({ 'app/0001_init.sql': 'create table t (id int);' }); });
 */
export function useWorkspace(): Workspace {
  let current: Workspace | undefined;
  const now = (): Workspace => {
    if (!current) throw new Error('The workspace exists only while a test runs.');
    return current;
  };
  beforeEach(() => {
    current = createWorkspace();
  });
  afterEach(() => now().remove());
  return {
    get dir() {
      return now().dir;
    },
    migrations: (files) => now().migrations(files),
    remove: () => now().remove(),
  };
}

/** A logger that keeps every event, for assertions. */
export class MemoryLogger implements Logger {
  readonly events: { level: string; event: string; data: Record<string, unknown> }[] = [];
  debug(event: string, data: Record<string, unknown> = {}): void {
    this.events.push({ level: 'debug', event, data });
  }
  info(event: string, data: Record<string, unknown> = {}): void {
    this.events.push({ level: 'info', event, data });
  }
  warn(event: string, data: Record<string, unknown> = {}): void {
    this.events.push({ level: 'warn', event, data });
  }
  error(event: string, data: Record<string, unknown> = {}): void {
    this.events.push({ level: 'error', event, data });
  }
}

export const TEST_SETTINGS: RunSettings = { lockWaitMs: 10_000, lockTimeoutMs: 5_000, statementTimeoutMs: 60_000 };

/** Runs the engine in-process on a migrations folder, as the CLI would. */
export function runOnFolder(
  folder: string,
  url: string,
  request: Partial<RunRequest> & Pick<RunRequest, 'action'>,
  options: { schema?: string; settings?: Partial<RunSettings>; clock?: Clock; logger?: Logger } = {},
): Promise<RunResult> {
  return runMigrations(
    {
      source: new FolderBundleSource(folder),
      db: new PgMigrationDatabase({ connectionString: url, schema: options.schema ?? 'stagegate', lockPollMs: 50 }),
      logger: options.logger ?? new MemoryLogger(),
      clock: options.clock ?? { now: () => Date.now() },
    },
    { actor: 'test', ...request },
    { ...TEST_SETTINGS, ...options.settings },
  );
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export const CLI = resolve(__dirname, '../../dist/stagegate.cjs');

/** A CLI process that was started: `done` resolves when it has exited (`code` is null when a signal ended it). */
export interface StartedCli {
  child: ChildProcess;
  done: Promise<ProcessResult>;
}

/**
 * Starts the built CLI as a separate process, without waiting for it (e.g. to kill it). `detached`: in a
 * process group of its own, as a shell runs a job, so `process.kill(-child.pid, 'SIGINT')` is a terminal's Ctrl-C.
 */
export function startCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined>; detached?: boolean }): StartedCli {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...options.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached === true });
  const done = new Promise<ProcessResult>((resolve, fail) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', fail);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}

/** Runs the built CLI as a separate process. */
export function runCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<ProcessResult> {
  return startCli(args, options).done;
}

/**
 * The last line of a CLI's stdout as JSON: the one object `--json` prints.
 *
 * @example
 * expect(cliJson(result.stdout)).toMatchObject({ ok: true });
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test assertions walk arbitrary JSON
export function cliJson(stdout: string): Record<string, any> {
  return JSON.parse(stdout.trim().split('\n').pop() as string);
}

/**
 * CLI environment for `url` with a ledger schema of its own, so runs on one shared database do not meet.
 *
 * @example
 * await runCli(['migrate'], { cwd: ws.dir, env: cliEnv(db.url) });
 */
export function cliEnv(url: string): { DATABASE_URL: string; STAGEGATE_SCHEMA: string } {
  return { DATABASE_URL: url, STAGEGATE_SCHEMA: `cli_${Math.random().toString(36).slice(2, 8)}` };
}
