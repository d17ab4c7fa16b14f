import { readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildCatalog } from '../core/catalog';
import { decodeBundle, encodeBundle } from '../core/bundle-format';
import { BundleNotFoundError, MigrationsUncommittedError, UncommittedReason, type UncommittedFile } from '../core/errors';
import { makeFolder } from '../adapters/fs/make-folder';
import { readMigrationsFolder } from '../adapters/fs/read-migrations-folder';
import type { Logger } from '../ports';
import { uncommittedMigrations } from './git-check';

/** Why the bundle's migrations are not known to match a commit; null when they do. */
export interface GitProblem {
  reason: UncommittedReason;
  files: UncommittedFile[];
  /** What git said when it failed (`git-failed`). */
  gitSays?: string;
}

/** A bundle built from the migrations folder, with what git said about it. */
export interface PreparedBundle {
  bytes: Buffer;
  /** sha256 of `bytes`: the bundle id. */
  id: string;
  migrations: number;
  /** The migrations folder, as configured (for messages). */
  folder: string;
  gitProblem: GitProblem | null;
}

export interface PrepareOptions {
  /** The service folder; `folder` is relative to it. */
  cwd: string;
  folder: string;
  /** `--allow-uncommitted`: bundle anyway, with a warning. */
  allowUncommitted: boolean;
  /**
   * What an uncommitted folder does without `allowUncommitted`: `refuse`
   * throws `MigrationsUncommittedError` (deploy, migrate); `record` warns and
   * keeps the problem in the result (package alone: nothing reaches AWS, and
   * a later `deploy --package` refuses it).
   */
  onUncommitted: 'refuse' | 'record';
}

/**
 * Step 1 of the gate: checks with git that every migration is committed,
 * then builds and verifies the bundle (`MigrationsInvalidError` on a
 * conflict, a cycle or any other problem in the folder).
 *
 * @example
 * const bundle = await prepareBundle({ cwd, folder: 'migrations', allowUncommitted: false, onUncommitted: 'refuse' }, logger);
 */
export async function prepareBundle(options: PrepareOptions, logger: Logger): Promise<PreparedBundle> {
  const gitProblem = await checkGit(options.cwd, options.folder);
  if (gitProblem && options.onUncommitted === 'record' && !options.allowUncommitted) {
    logger.warn('gate.uncommitted.packaged', { message: uncommittedError(gitProblem, options.folder).message, files: gitProblem.files });
  } else if (gitProblem) {
    assertAllowed(gitProblem, options.folder, options.allowUncommitted, logger);
  }
  const migrations = buildCatalog(await readMigrationsFolder(resolve(options.cwd, options.folder)));
  const { bytes, id } = encodeBundle(migrations);
  logger.info('gate.bundle.built', { bundle: id, migrations: migrations.length, folder: options.folder });
  return { bytes, id, migrations: migrations.length, folder: options.folder, gitProblem };
}

/**
 * Refuses a bundle whose migrations were not committed when it was built,
 * unless `allowUncommitted` (then warns loudly). Used again at deploy time
 * for a bundle packaged earlier.
 */
export function assertAllowed(problem: GitProblem, folder: string, allowUncommitted: boolean, logger: Logger): void {
  const error = uncommittedError(problem, folder);
  if (!allowUncommitted) throw error;
  logger.warn('gate.uncommitted', { message: error.message, files: problem.files });
}

async function checkGit(cwd: string, folder: string): Promise<GitProblem | null> {
  try {
    const files = await uncommittedMigrations({ cwd, folder });
    return files.length > 0 ? { reason: UncommittedReason.FILES, files } : null;
  } catch (error) {
    if (!(error instanceof MigrationsUncommittedError)) throw error;
    const gitSays = typeof error.details.gitSays === 'string' ? { gitSays: error.details.gitSays } : {};
    return { reason: (error.details.reason as UncommittedReason) ?? UncommittedReason.GIT_MISSING, files: [], ...gitSays };
  }
}

function uncommittedError(problem: GitProblem, folder: string): MigrationsUncommittedError {
  return new MigrationsUncommittedError(folder, problem.reason, problem.files, undefined, problem.gitSays);
}

/** Names inside the package folder (`.serverless/`), so the bundle travels with `package --package` / `deploy --package`. */
const BUNDLE_FILE = 'stagegate-bundle.json.gz';
const MANIFEST_FILE = 'stagegate-bundle.meta.json';

/**
 * Writes the bundle and what git said about it into the package folder, at
 * package time.
 *
 * @example
 * await writePackagedBundle(join(serviceDir, '.serverless'), bundle);
 */
export async function writePackagedBundle(dir: string, bundle: PreparedBundle): Promise<void> {
  await makeFolder(dir);
  const manifest = { bundleId: bundle.id, migrations: bundle.migrations, folder: bundle.folder, gitProblem: bundle.gitProblem };
  await writeAtomically(join(dir, BUNDLE_FILE), bundle.bytes);
  await writeAtomically(join(dir, MANIFEST_FILE), Buffer.from(JSON.stringify(manifest, null, 2)));
}

/**
 * Reads the bundle written at package time, verified against its id.
 * Throws `BundleNotFoundError` when the package has none (packaged without
 * the stagegate plugin), `BundleInvalidError`/`BundleIntegrityError` when it
 * was altered.
 *
 * @example
 * const bundle = await readPackagedBundle(join(serviceDir, '.serverless'));
 */
export async function readPackagedBundle(dir: string): Promise<PreparedBundle> {
  let manifest: { bundleId: string; migrations: number; folder: string; gitProblem: GitProblem | null };
  let bytes: Buffer;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as typeof manifest;
    bytes = await readFile(join(dir, BUNDLE_FILE));
  } catch (error) {
    throw new BundleNotFoundError(`${join(dir, BUNDLE_FILE)} (package the service again with the stagegate plugin)`, error);
  }
  const bundle = decodeBundle(bytes, join(dir, BUNDLE_FILE), manifest.bundleId);
  return { bytes, id: bundle.id, migrations: bundle.migrations.length, folder: manifest.folder, gitProblem: manifest.gitProblem };
}

async function writeAtomically(path: string, bytes: Buffer): Promise<void> {
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, bytes);
  await rename(partial, path);
}
