import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceFile } from '../../core/catalog';
import { BundleNotFoundError } from '../../core/errors';
import { displayPath, fileError } from './fs-errors';

/**
 * Reads every file of a migrations folder, two levels deep (`<app>/<file>`),
 * plus any deeper `.sql` file so the catalog can reject it by name. An
 * unreadable file becomes a `SourceFile` with `error`, so all problems are
 * reported together. Throws `BundleNotFoundError` when the folder is missing,
 * and another bundle error of the family when it cannot be read.
 *
 * @example
 * const files = await readMigrationsFolder('migrations');
 */
export async function readMigrationsFolder(dir: string): Promise<SourceFile[]> {
  let entries: string[];
  try {
    entries = await readdir(dir, { recursive: true });
  } catch (error) {
    const origin = `migrations folder ${displayPath(dir)}`;
    if (await isNotFolder(dir)) throw new BundleNotFoundError(origin, error, 'is not a folder (--dir names the folder of app folders; --bundle takes a bundle file)');
    throw fileError(error, origin);
  }
  const paths = entries.map((p) => p.split('\\').join('/')).filter((p) => p.endsWith('.sql'));
  return Promise.all(
    paths.map(async (path): Promise<SourceFile> => {
      try {
        return { path, content: await readFile(join(dir, path), 'utf8') };
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
