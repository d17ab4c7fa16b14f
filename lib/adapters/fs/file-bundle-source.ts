import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { decodeBundle } from '../../core/bundle-format';
import { BundleNotFoundError } from '../../core/errors';
import type { BundleSource, LoadedBundle } from '../../ports';

const CONTENT_ADDRESSED = /^([0-9a-f]{64})\.json\.gz$/;

/**
 * A bundle file on disk. When the file is named by its id
 * (`<sha256>.json.gz`, as `stagegate bundle` writes it) or an id is given,
 * the content must hash to that id.
 *
 * @example
 * const source = new FileBundleSource('.stagegate/bundles/3f2a...json.gz');
 */
export class FileBundleSource implements BundleSource {
  constructor(
    private readonly path: string,
    private readonly expectedId?: string,
  ) {}

  async load(): Promise<LoadedBundle> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BundleNotFoundError(this.path, error);
      throw error;
    }
    const expected = this.expectedId ?? CONTENT_ADDRESSED.exec(basename(this.path))?.[1];
    return decodeBundle(bytes, this.path, expected);
  }
}
