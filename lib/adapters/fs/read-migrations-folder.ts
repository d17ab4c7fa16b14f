import { isUtf8 } from 'node:buffer';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceFile } from '../../core/catalog';
import { BundleNotFoundError, NoMigrationsError } from '../../core/errors';
import { displayPath, fileError } from './fs-errors';
import { listFolderTree } from './list-folder-tree';

/**
 * Reads every file of a migrations folder, two levels deep (`<app>/<file>`),
 * plus any deeper `.sql` file (down to `MAX_FOLDER_DEPTH`) so the catalog can
 * reject it by name. An
 * unreadable file becomes a `SourceFile` with `error`, so all problems are
 * reported together. Throws `BundleNotFoundError` when the folder is missing,
 * `NoMigrationsError` when it holds no `.sql` file, and another bundle error
 * of the family when it cannot be read.
 *
 * @example
 * const files = await readMigrationsFolder('migrations');
 */
export async function readMigrationsFolder(dir: string): Promise<SourceFile[]> {
  let entries: string[];
  try {
    entries = await listFolderTree(dir);
  } catch (error) {
    const origin = `migrations folder ${displayPath(dir)}`;
    if (await isNotFolder(dir)) throw new BundleNotFoundError(origin, error, 'is not a folder (--dir names the folder of app folders; --bundle takes a bundle file)');
    throw fileError(error, origin);
  }
  const paths = entries.filter((p) => p.endsWith('.sql'));
  if (paths.length === 0) throw new NoMigrationsError(displayPath(dir), entries.length);
  return Promise.all(
    paths.map(async (path): Promise<SourceFile> => {
      try {
        const bytes = await readFile(join(dir, path));
        // Decoding would silently turn each invalid byte into U+FFFD, and that text would run.
        return isUtf8(bytes) ? { path, content: bytes.toString('utf8') } : { path, error: notUtf8(bytes) };
      } catch (error) {
        return { path, error: (error as Error).message };
      }
    }),
  );
}

/** Whether something other than a folder (a file, a device) is at `path`. */
async function isNotFolder(path: string): Promise<boolean> {
  return stat(path).then(
    (found) => !found.isDirectory(),
    () => false,
  );
}

/** Why a file that is not UTF-8 cannot be used, with the line of its first invalid byte. */
function notUtf8(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  const line = text.slice(0, Math.max(0, text.indexOf('\uFFFD'))).split(/\r\n?|\n/).length;
  return `it is not UTF-8 text (the first invalid byte is on line ${line}; saved as Latin-1 or Windows-1252?): save it as UTF-8, or its text would run altered`;
}
