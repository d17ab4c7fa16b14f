import type { Dirent } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MigrationExistsError, UsageError } from '../../core/errors';
import type { NewMigration } from '../../core/new-migration';
import { displayPath, fileError } from './fs-errors';
import { makeFolder } from './make-folder';

/** Names an app folder may have (see `parseMigrationId`); other folders hold no migration `new` counts. */
const APP_FOLDER = /^[a-z][a-z0-9_]*$/;

/**
 * Every file path of a migrations folder, two levels deep (`<app>/<file>`),
 * relative and `/`-separated; an empty list when the folder does not exist
 * yet (a first migration). Only the app folders are read: a `--dir` naming a
 * deep tree by mistake (`/`, a home folder, `/proc`) answers at once.
 *
 * @example
 * await listMigrationPaths('migrations'); // ['organization/0001_initial.sql', ...]
 */
export async function listMigrationPaths(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') throw notFolder(dir, dir);
    throw fileError(error, `migrations folder ${displayPath(dir)}`);
  }
  const apps = entries.filter((entry) => (entry.isDirectory() || entry.isSymbolicLink()) && APP_FOLDER.test(entry.name));
  const inApps = await Promise.all(apps.map((app) => listAppFolder(dir, app.name)));
  return [...entries.filter((entry) => !apps.includes(entry)).map((entry) => entry.name), ...inApps.flat()];
}

async function listAppFolder(dir: string, app: string): Promise<string[]> {
  try {
    return (await readdir(join(dir, app))).map((file) => `${app}/${file}`);
  } catch (error) {
    // A link to something that is not a folder holds no migration.
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw fileError(error, `app folder ${displayPath(join(dir, app))}`);
  }
}

/**
 * Writes a new migration and its reverse script. Each is created only if it
 * does not exist (`wx`), so a file that appeared meanwhile is never
 * overwritten: `MigrationExistsError`, and nothing is left half written.
 *
 * @example
 * await writeNewMigration('migrations', nextMigration(paths, request));
 */
export async function writeNewMigration(dir: string, migration: NewMigration): Promise<{ file: string; downFile: string }> {
  const file = join(dir, migration.file);
  const downFile = join(dir, migration.downFile);
  await makeAppFolder(dirname(file));
  try {
    await writeFile(file, migration.sql, { flag: 'wx' });
  } catch (error) {
    throw writeError(error, file);
  }
  try {
    await writeFile(downFile, migration.downSql, { flag: 'wx' });
  } catch (error) {
    // The pair is written together or not at all.
    await rm(file, { force: true });
    throw writeError(error, downFile);
  }
  return { file, downFile };
}

/** `makeFolder`, its failure as a `USAGE` error naming the folder it could not make. */
async function makeAppFolder(folder: string): Promise<void> {
  await makeFolder(folder).catch((error: unknown) => {
    const { code = 'an error', path = folder } = error as NodeJS.ErrnoException;
    if (code === 'ENOTDIR') throw notFolder(path, folder);
    throw new UsageError(
      `stagegate new cannot create the folder ${displayPath(path)}${path === folder ? '' : ` (for ${displayPath(folder)})`}: the file system reported ${code}.`,
      'Check the --dir path (the folder of app folders, e.g. ./migrations) and that you may create folders there; nothing was written.',
    );
  });
}

function notFolder(path: string, wanted: string): UsageError {
  return new UsageError(`stagegate new cannot write into ${displayPath(wanted)}: ${displayPath(path)} is not a folder.`, 'Check the --dir path (the folder of app folders, e.g. ./migrations); nothing was written.');
}

function writeError(error: unknown, path: string): Error {
  const code = (error as NodeJS.ErrnoException).code ?? 'an error';
  if (code === 'EEXIST') return new MigrationExistsError(displayPath(path));
  return new UsageError(`stagegate new cannot write ${displayPath(path)}: the file system reported ${code}.`, 'Check the --dir path and that you may write there.');
}
