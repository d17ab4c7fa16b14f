import { BundleAccessDeniedError, BundleFetchFailedError, BundleNotFoundError, type MigrationRunnerError } from '../../core/errors';

/** Paths longer than this are shortened in messages: a path is user input. */
const MAX_PATH_CHARS = 200;

/** Codes that mean "nothing readable is at this path". */
const NOT_THERE = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG', 'ELOOP']);
const DENIED = new Set(['EACCES', 'EPERM']);

/**
 * A path as messages show it: whole when short, otherwise its start and end
 * around `…`, so a hostile or mistaken argument cannot make a huge error.
 *
 * @example
 * displayPath('migrations'); // 'migrations'
 */
export function displayPath(path: string): string {
  if (path.length <= MAX_PATH_CHARS) return path;
  const half = MAX_PATH_CHARS / 2;
  return `${path.slice(0, half)}…${path.slice(-half)} (${path.length} characters)`;
}

/**
 * Maps a failure to read a bundle file or a migrations folder. `origin`
 * describes it (`displayPath` already applied); the message of the system
 * error, which repeats the whole path, is not kept in the text.
 *
 * @example
 * await readFile(path).catch((error) => { throw fileError(error, displayPath(path)); });
 */
export function fileError(error: unknown, origin: string): MigrationRunnerError {
  const code = (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
  if (NOT_THERE.has(code)) return new BundleNotFoundError(origin, error);
  if (DENIED.has(code)) {
    return new BundleAccessDeniedError(origin, error, 'Check the permissions of the file and of each folder above it (or run as a user who may read them); nothing was run.');
  }
  return new BundleFetchFailedError(origin, `the file system reported ${code}`, error, 'Check the disk and the path, then run again; nothing was run.');
}
