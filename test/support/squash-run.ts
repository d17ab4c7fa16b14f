import pg from 'pg';
import { readSchemaHash } from '../../lib/adapters/postgres/schema-objects';
import { buildSquash, type SquashResult } from '../../lib/squash/build-squash';
import { adminUrl, createTestDatabase, type TestDatabase } from './database';
import { createWorkspace, MemoryLogger, type Workspace } from './workspace';

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

/** A workspace per test and fresh databases dropped after the file; see {@link useSquashWorkspace}. */
export interface SquashTestContext {
  readonly ws: Workspace;
  fresh(): Promise<TestDatabase>;
  /** Drops the databases made so far (before their roles can be dropped, say). */
  dropDatabases(): Promise<void>;
}

/**
 * Registers the hooks of a squash test file: a new workspace for each test,
 * and every database `fresh()` made dropped at the end.
 *
 * @example
 * const context = useSquashWorkspace();
 * it('…', async () => { const dir = context.ws.migrations(files); const db = await context.fresh(); });
 */
export function useSquashWorkspace(): SquashTestContext {
  let current: Workspace | undefined;
  const databases: TestDatabase[] = [];
  const dropDatabases = async (): Promise<void> => {
    for (const database of databases.splice(0)) await database.drop();
  };
  beforeEach(() => {
    current = createWorkspace();
  });
  afterEach(() => current?.remove());
  afterAll(dropDatabases);
  return {
    get ws(): Workspace {
      return current as Workspace;
    },
    fresh: async () => {
      const database = await createTestDatabase();
      databases.push(database);
      return database;
    },
    dropDatabases,
  };
}
