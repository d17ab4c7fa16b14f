import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MigrationExistsError, UsageError } from '../../core/errors';
import type { NewMigration } from '../../core/new-migration';
import { displayPath, fileError } from './fs-errors';

/**
 * Every file path under a migrations folder, relative and `/`-separated; an
 * empty list when the folder does not exist yet (a first migration).
 *
 * @example
 * await listMigrationPaths('migrations'); // ['organization/0001_initial.sql', ...]
 */
export async function listMigrationPaths(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true })).map((p) => p.split('\\').join('/'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fileError(error, `migrations folder ${displayPath(dir)}`);
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
  try {
    await mkdir(dirname(file), { recursive: true });
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

function writeError(error: unknown, path: string): Error {
  const code = (error as NodeJS.ErrnoException).code ?? 'an error';
  if (code === 'EEXIST') return new MigrationExistsError(displayPath(path));
  return new UsageError(`stagegate new cannot write ${displayPath(path)}: the file system reported ${code}.`, 'Check the --dir path and that you may write there.');
}
