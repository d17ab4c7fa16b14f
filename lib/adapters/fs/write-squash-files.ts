import { link, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../core/errors';
import { displayPath } from './fs-errors';

/** Whether a file exists at `path` (a folder or anything else counts too). */
export async function pathExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

/** Writes `text` to a new file `path`, never over an existing one, and never half a file (temporary file, then a hard link). */
async function writeNew(path: string, text: string): Promise<void> {
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, text, { flag: 'wx' });
  try {
    await link(partial, path);
  } finally {
    await unlink(partial).catch(() => undefined);
  }
}

/**
 * Writes a squash and its reverse script into the migrations folder `dir`
 * (paths relative to it). Refuses to replace a file that exists; when the
 * reverse script cannot be written, the squash is removed again.
 *
 * @example
 * await writeSquashFiles('migrations', { file: 'org/0003_squashed_0001_0003.sql', text }, { file: 'org/0003_squashed_0001_0003.down.sql', text: down });
 */
export async function writeSquashFiles(dir: string, up: { file: string; text: string }, down: { file: string; text: string } | null): Promise<void> {
  const upPath = join(dir, up.file);
  try {
    await writeNew(upPath, up.text);
    if (down) {
      await writeNew(join(dir, down.file), down.text).catch(async (error: unknown) => {
        await unlink(upPath).catch(() => undefined);
        throw error;
      });
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'an error';
    throw new UsageError(
      `stagegate squash cannot write ${displayPath(upPath)}${down ? ' and its .down.sql' : ''}: the file system reported ${code}.`,
      code === 'EEXIST' ? 'The file appeared while the squash was built; remove it or run again. Nothing was written.' : 'Check that the migrations folder is writable; nothing was written.',
    );
  }
}
