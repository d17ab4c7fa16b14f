import { open, type FileHandle } from 'node:fs/promises';
import { MAX_BUNDLE_BYTES } from '../../core/bundle-format';
import { BundleInvalidError, MigrationRunnerError } from '../../core/errors';
import { displayPath, fileError } from './fs-errors';

/**
 * Reads a bundle file, refusing before reading what can never be a bundle:
 * something that is not a regular file (a folder, `/dev/zero`, a pipe) or a
 * file over {@link MAX_BUNDLE_BYTES}. Failures are the bundle errors of the
 * family (`BUNDLE_NOT_FOUND`, `BUNDLE_ACCESS_DENIED`, `BUNDLE_INVALID`,
 * `BUNDLE_FETCH_FAILED`), never a raw system error.
 *
 * @example
 * const bytes = await readBundleFile('.stagegate/bundles/3f2a….json.gz');
 */
export async function readBundleFile(path: string): Promise<Buffer> {
  const origin = displayPath(path);
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw fileError(error, origin);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new BundleInvalidError(origin, stat.isDirectory() ? 'it is a folder, not a bundle file' : 'it is not a regular file');
    if (stat.size > MAX_BUNDLE_BYTES) throw new BundleInvalidError(origin, `it is ${stat.size} bytes; the limit is ${MAX_BUNDLE_BYTES}`);
    return await handle.readFile();
  } catch (error) {
    if (error instanceof MigrationRunnerError) throw error;
    throw fileError(error, origin);
  } finally {
    await handle.close().catch(() => undefined);
  }
}
