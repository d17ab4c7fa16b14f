import { basename } from 'node:path';
import { decodeBundle } from '../../core/bundle-format';
import type { BundleSource, LoadedBundle } from '../../ports';
import { displayPath } from './fs-errors';
import { readBundleFile } from './read-bundle-file';

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
    const bytes = await readBundleFile(this.path);
    const expected = this.expectedId ?? CONTENT_ADDRESSED.exec(basename(this.path))?.[1];
    return decodeBundle(bytes, displayPath(this.path), expected);
  }
}
