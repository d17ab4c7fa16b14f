import { resolve } from 'node:path';
import { buildCatalog } from '../core/catalog';
import { decodeBundle, encodeBundle } from '../core/bundle-format';
import { displayPath } from '../adapters/fs/fs-errors';
import { readBundleFile } from '../adapters/fs/read-bundle-file';
import { readMigrationsFolder } from '../adapters/fs/read-migrations-folder';
import type { Migration } from '../core/migration';
import { migrationsDir, type ParsedArgs } from './args';

/** A bundle file's bytes with its id, verified. */
export interface BundleBytes {
  bytes: Buffer;
  id: string;
  migrations: number;
  /** The bundle's migrations, sorted by id. */
  catalog: Migration[];
}

/**
 * The bundle a command works on, as bytes: the one `--bundle` names
 * (verified before it is sent anywhere), or the one built from `--dir`
 * (default `./migrations`).
 *
 * @example
 * const { bytes, id } = await bundleBytes(args, process.cwd());
 */
export async function bundleBytes(args: ParsedArgs, cwd: string): Promise<BundleBytes> {
  if (typeof args.options.bundle === 'string') {
    const path = resolve(cwd, args.options.bundle);
    const bytes = await readBundleFile(path);
    // The hash first, then every claim: what is published here, deploys trust by its hash.
    const { id } = decodeBundle(bytes, displayPath(path), /([0-9a-f]{64})\.json\.gz$/.exec(path)?.[1]);
    const catalog = decodeBundle(bytes, displayPath(path)).migrations;
    return { bytes, id, migrations: catalog.length, catalog };
  }
  const dir = migrationsDir(args, cwd);
  const migrations = buildCatalog(await readMigrationsFolder(dir));
  return { ...encodeBundle(migrations), migrations: migrations.length, catalog: migrations };
}
