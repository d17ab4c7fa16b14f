import { rename, writeFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { InterruptedError, signalOf, UsageError } from '../core/errors';
import { configFromEnv, runSettingsOf, type Config, type RawConfig } from '../config';
import { parseCliConfig } from './cli-config';
import { FileBundleSource } from '../adapters/fs/file-bundle-source';
import { displayPath } from '../adapters/fs/fs-errors';
import { makeFolder } from '../adapters/fs/make-folder';
import { FolderBundleSource } from '../adapters/fs/folder-bundle-source';
import { withEmbeddedPostgres } from '../adapters/embedded/embedded-postgres';
import { describeConnection, PgMigrationDatabase } from '../adapters/postgres';
import { runMigrations } from '../run';
import { resolveMigration } from '../resolve';
import type { BundleSource, Logger } from '../ports';
import { migrationsDir, type ParsedArgs } from './args';
import { bundleBytes } from './bundle-bytes';
import { resolveChoice } from './resolve-choice';
import type { Style } from './style';

/** What a command needs from its surroundings. */
export interface CommandContext {
  env: Record<string, string | undefined>;
  cwd: string;
  logger: Logger;
  verbose: boolean;
  /** Whether stdout is a terminal (for colours in text a command renders itself). */
  isTTY?: boolean;
  /** Aborted by the first Ctrl-C or SIGTERM (its reason is the signal's name), for the commands that stop; see `interrupt.ts`. */
  stop?: AbortSignal;
  /** The command's name, for the words of an interruption. */
  command?: string;
}

/** A command's outcome: the JSON form and the target it ran on. */
export interface CommandOutput {
  json: Record<string, unknown> & { ok: true };
  target: string;
  /** The human form, for commands that render their own. */
  render?: (style: Style) => string;
}

const systemClock = { now: () => Date.now() };

/** Runs one parsed command. Throws a `MigrationRunnerError` on failure. */
export async function runCommand(args: ParsedArgs, ctx: CommandContext): Promise<CommandOutput> {
  if (args.command === 'bundle') return bundleCommand(args, ctx);
  if (args.command === 'new') return (await import('./new-command')).newCommand(args, ctx);
  if (args.command === 'lint') return (await import('./lint-command')).lintCommand(args, ctx);
  if (args.command === 'check') return (await import('./check-command')).checkCommand(args, ctx);
  // Loaded on use: the AWS SDK they need would double the start-up time of every local command.
  if (args.command === 'publish') return (await import('./remote-commands')).publishCommand(args, ctx);
  if (args.options['all-stages'] === true) return (await import('./stage-matrix-command')).stageMatrixCommand(args, ctx);
  if (args.command === 'resolve' && args.options.stage !== undefined) return (await import('./resolve-stage-command')).resolveStageCommand(args, ctx);
  if (args.command === 'adopt' && args.options.stage !== undefined) return (await import('./adopt-stage-command')).adoptStageCommand(args, ctx);
  if (args.options.stage !== undefined) return (await import('./remote-commands')).remoteCommand(args, ctx);
  if (args.command === 'squash') return (await import('./squash-command')).squashCommand(args, ctx);
  const config = parseCliConfig(rawConfig(args, ctx.env), args);
  const settings = runSettingsOf(config);
  const actor = actorName();
  if (args.command === 'drift') return (await import('./drift-command')).driftCliCommand(args, ctx, config, actor);
  if (args.command === 'adopt') return (await import('./adopt-command')).adoptCliCommand(args, ctx, config, actor);
  if (args.command === 'resolve') {
    const choice = resolveChoice(args);
    return withDatabase(config, ctx, async (db, target) => {
      const json = await resolveMigration({ db, logger: ctx.logger }, { ...choice, actor }, settings);
      return { json: { ...json }, target };
    });
  }
  const action = args.command as 'plan' | 'migrate' | 'status';
  // The bundle is loaded and verified (a folder in full, a file pinned by its hash by that hash) before the embedded server
  // starts, so a bad folder never starts one; a configured database is connected to while it loads (see runMigrations).
  let source = sourceFor(args, ctx);
  if (config.databaseUrl === null) {
    const bundle = await source.load();
    source = { load: async () => bundle } satisfies BundleSource;
  }
  return withDatabase(config, ctx, async (db, target) => {
    const to = typeof args.options.to === 'string' ? { target: args.options.to } : {};
    const rehearse = action === 'plan' && args.options.rehearse === true ? { rehearse: true } : {};
    // A local run stops at a safe point on Ctrl-C, as at a deadline; status and plan only read, and end as they are.
    const stop = ctx.stop && (action === 'migrate' || rehearse.rehearse) ? { stop: ctx.stop } : {};
    const result = await runMigrations({ source, db, logger: ctx.logger, clock: systemClock }, { action, actor, ...to, ...rehearse, ...stop }, settings);
    return { json: { ...result }, target };
  });
}

/** The bundle a command names: `--bundle FILE`, else the `--dir` folder (default `migrations`). */
export function sourceFor(args: ParsedArgs, ctx: CommandContext): BundleSource {
  if (typeof args.options.bundle === 'string') return new FileBundleSource(resolve(ctx.cwd, args.options.bundle));
  return new FolderBundleSource(migrationsDir(args, ctx.cwd));
}

/** The command's settings: environment first, then its flags. */
export function rawConfig(args: ParsedArgs, env: Record<string, string | undefined>): RawConfig {
  const raw = configFromEnv(env);
  const flags: [string, keyof Config][] = [
    ['database-url', 'databaseUrl'],
    ['schema', 'schema'],
    ['lock-wait', 'lockWaitMs'],
    ['lock-timeout', 'lockTimeoutMs'],
    ['statement-timeout', 'statementTimeoutMs'],
    ['drift', 'drift'],
  ];
  for (const [flag, key] of flags) {
    const value = args.options[flag as keyof ParsedArgs['options']];
    // A rehearsal's lock_timeout is its own setting: --lock-timeout on `plan --rehearse` sets it.
    const target = flag === 'lock-timeout' && args.command === 'plan' ? 'rehearsalLockTimeoutMs' : key;
    if (typeof value === 'string') raw[target] = value;
  }
  return raw;
}

/** Runs `fn` on the configured database (or the embedded default), with its description and URL (a secret). */
export async function withDatabase<T>(
  config: Config,
  ctx: CommandContext,
  fn: (db: PgMigrationDatabase, target: string, url: string) => Promise<T>,
): Promise<T> {
  return withServerUrl(config, ctx, (url, target) => fn(new PgMigrationDatabase({ connection: url, schema: config.schema }), target, url));
}

/**
 * Runs `fn` with the URL of the configured database, or of the embedded
 * default server (started on demand) when none is configured.
 *
 * @example
 * await withServerUrl(config, ctx, async (url, target) => buildSquash({ logger: ctx.logger, server: url, ledgerSchema: config.schema }, request));
 */
export async function withServerUrl<T>(config: Config, ctx: CommandContext, fn: (url: string, target: string) => Promise<T>): Promise<T> {
  const start = (url: string, target: string): Promise<T> => {
    // Stopped while the embedded server started: nothing runs, and the server is stopped as on any exit.
    if (ctx.stop?.aborted) throw new InterruptedError({ signal: signalOf(ctx.stop), command: ctx.command ?? null });
    ctx.logger.info('command.started', { target });
    return fn(url, target);
  };
  if (config.databaseUrl !== null) return start(config.databaseUrl, describeConnection(config.databaseUrl));
  ctx.logger.info('embedded.note', { message: 'No DATABASE_URL or --database-url: using the embedded PostgreSQL under .stagegate/.' });
  const log = (line: string): void => ctx.logger.info('embedded.note', { message: line });
  return withEmbeddedPostgres({ projectDir: ctx.cwd, port: config.embeddedPort, log, verbose: ctx.verbose }, (url) =>
    start(url, `embedded ${describeConnection(url)}`),
  );
}

async function bundleCommand(args: ParsedArgs, ctx: CommandContext): Promise<CommandOutput> {
  const { bytes, id, migrations } = await bundleBytes(args, ctx.cwd);
  const out = typeof args.options.out === 'string' ? resolve(ctx.cwd, args.options.out) : join(ctx.cwd, '.stagegate', 'bundles', `${id}.json.gz`);
  // Write then rename, so a reader never sees half a bundle.
  const partial = `${out}.${process.pid}.partial`;
  try {
    await makeFolder(dirname(out));
    await writeFile(partial, bytes);
    await rename(partial, out);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'an error';
    throw new UsageError(`stagegate bundle cannot write ${displayPath(out)}: the file system reported ${code}.`, 'Choose an --out path in a folder you may write to; no bundle was written.');
  }
  ctx.logger.info('bundle.written', { bundle: id, file: out, migrations, bytes: bytes.length });
  return { json: { ok: true, action: 'bundle', bundleId: id, file: out, migrations, bytes: bytes.length }, target: out };
}

function actorName(): string {
  try {
    return `cli:${userInfo().username}@${hostname()}`;
  } catch {
    return `cli:unknown@${hostname()}`;
  }
}
