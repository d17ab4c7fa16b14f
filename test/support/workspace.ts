import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/** Starts the built CLI as a separate process, without waiting for it (e.g. to kill it). */
export function startCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): StartedCli {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...options.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
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
