import { buildCatalog } from '../../core/catalog';
import { encodeBundle } from '../../core/bundle-format';
import type { BundleSource, LoadedBundle } from '../../ports';
import { readMigrationsFolder } from './read-migrations-folder';

/**
 * The committed migrations folder as a bundle source. Its id is the id of
 * the bundle `stagegate bundle` would build from it, so a local run and a
 * deployed run of the same files report the same bundle id.
 *
 * @example
 * const source = new FolderBundleSource('migrations');
 */
export class FolderBundleSource implements BundleSource {
  constructor(private readonly dir: string) {}

  async load(): Promise<LoadedBundle> {
    const migrations = buildCatalog(await readMigrationsFolder(this.dir));
    return { id: encodeBundle(migrations).id, origin: `${this.dir}/`, migrations, allVerified: true };
  }
}
