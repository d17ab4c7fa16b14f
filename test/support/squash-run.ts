import { join } from 'node:path';
import pg from 'pg';
import { readSchemaHash } from '../../lib/adapters/postgres/schema-objects';
import { buildSquash, type SquashResult } from '../../lib/squash/build-squash';
import { adminUrl } from './database';
import { MemoryLogger } from './workspace';

/** The repository's example migrations (copy them; never change them in a test). */
export const REPO_MIGRATIONS = join(__dirname, '../../migrations');

/**
 * The schema fingerprint of a database, ledger schema `stagegate` left out.
 *
 * @example
 * expect(await fingerprint(a.url)).toBe(await fingerprint(b.url));
 */
export async function fingerprint(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await readSchemaHash(client, ['stagegate']);
  } finally {
    await client.end();
  }
}

/**
 * Squashes a range of a folder, with scratch databases on the test server.
 *
 * @example
 * const result = await squashFolder(dir, 'shop', '0003');
 */
export function squashFolder(dir: string, app: string, to: string, from?: string, withData = false): Promise<SquashResult> {
  return buildSquash(
    { logger: new MemoryLogger(), server: adminUrl(), ledgerSchema: 'stagegate' },
    { dir, app, to, ...(from ? { from } : {}), withData, generator: 'stagegate squash test' },
  );
}
