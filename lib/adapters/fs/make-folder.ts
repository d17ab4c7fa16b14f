import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Creates `folder` and the missing folders above it, one at a time, like
 * `mkdir(folder, { recursive: true })` but bounded by the path's depth: where
 * a folder cannot be made but its parent exists (`/proc/self/x` answers
 * ENOENT), Node's recursive mkdir retries forever. Throws the file system's
 * error (`code`, and `path`: the folder it could not make); something other
 * than a folder in the way is `ENOTDIR` naming it.
 *
 * @example
 * await makeFolder(join(dir, 'shop')).catch((error) => { throw writeError(error); });
 */
export async function makeFolder(folder: string): Promise<void> {
  const missing: string[] = [];
  for (let at = folder; !(await isFolder(at)); at = dirname(at)) {
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const path of missing) {
    await mkdir(path).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    });
  }
}

/** Whether a folder is at `path`; false when nothing is. */
async function isFolder(path: string): Promise<boolean> {
  const found = await stat(path).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  });
  if (found === null) return false;
  if (found.isDirectory()) return true;
  throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${path}'`), { code: 'ENOTDIR', path });
}
