import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { buildCatalog } from '../../lib/core/catalog';
import { readMigrationsFolder } from '../../lib/adapters/fs/read-migrations-folder';
import { readSchemaHash } from '../../lib/adapters/postgres/schema-objects';
import { buildSquash } from '../../lib/squash/build-squash';
import { adminUrl, createTestDatabase, type TestDatabase } from '../support/database';
import { generatedHistory } from '../support/squash-history';
import { createWorkspace, MemoryLogger, runOnFolder, type Workspace } from '../support/workspace';

const GENERATOR = 'stagegate squash test';

async function fingerprint(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await readSchemaHash(client, ['stagegate']);
  } finally {
    await client.end();
  }
}

describe('Integration: stagegate squash builds, proves and writes a squash', () => {
  let ws: Workspace;
  const databases: TestDatabase[] = [];
  const fresh = async (): Promise<TestDatabase> => {
    const database = await createTestDatabase();
    databases.push(database);
    return database;
  };
  const squash = (dir: string, app: string, to: string, from?: string) =>
    buildSquash({ logger: new MemoryLogger(), server: adminUrl(), ledgerSchema: 'stagegate' }, { dir, app, to, ...(from ? { from } : {}), generator: GENERATOR });

  beforeEach(() => {
    ws = createWorkspace();
  });
  afterEach(() => ws.remove());
  afterAll(async () => {
    for (const database of databases) await database.drop();
  });

  it('squashes a generated history of 200 migrations into one that builds the same schema', async () => {
    // Prepare
    const dir = ws.migrations(generatedHistory(200));
    // Act
    const result = await squash(dir, 'hist', '0200');
    // Assess
    expect(result).toMatchObject({ squash: 'hist/0200_squashed_0001_0200', file: 'hist/0200_squashed_0001_0200.sql', irreversible: true, dependsOn: ['base/0001_account'] });
    expect(result.replaced).toHaveLength(200);
    const text = readFileSync(join(dir, result.file), 'utf8');
    const catalog = buildCatalog(await readMigrationsFolder(dir));
    const squashMigration = catalog.find((m) => m.id === result.squash);
    expect(squashMigration?.directives.replaces).toHaveLength(200);
    expect(squashMigration?.directives.dependsOn).toEqual(['base/0001_account']);
    expect(text).toContain('CREATE VIEW');
    const [withSquash, withOriginals] = [await fresh(), await fresh()];
    const squashed = await runOnFolder(dir, withSquash.url, { action: 'migrate' });
    expect(squashed.applied.map((a) => a.id)).toEqual(['base/0001_account', result.squash]);
    const originalsOnly = ws.migrations(generatedHistory(200));
    await runOnFolder(originalsOnly, withOriginals.url, { action: 'migrate' });
    expect(await fingerprint(withSquash.url)).toBe(await fingerprint(withOriginals.url));
    expect(await fingerprint(withSquash.url)).toBe(result.fingerprint);
  }, 120_000);
});
