import pg from 'pg';
import { ensureLedger, ledgerTables } from '../../lib/adapters/postgres/ledger';
import { readSchemaHash } from '../../lib/adapters/postgres/schema-objects';
import { readStageFacts } from '../../lib/adapters/postgres/stage-facts';
import { useTestDatabase } from '../support/database';

describe('Integration: the fingerprint of a stage record, cached by catalog stamp', () => {
  const db = useTestDatabase();
  const t = ledgerTables('stagegate');

  async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }
  const facts = (): Promise<string | null> => withClient(async (client) => (await readStageFacts(client, t)).schemaHash);
  const live = (): Promise<string> => withClient((client) => readSchemaHash(client, ['stagegate']));
  const cache = async (): Promise<string | undefined> => (await db.query<{ value: string }>("select value from stagegate.meta where key = 'schema_hash'"))[0]?.value;

  beforeEach(async () => {
    await withClient((client) => ensureLedger(client, t));
    await db.query('CREATE TABLE account (id bigint PRIMARY KEY, email text)');
  });

  it('equals the fingerprint read from the catalog, and is cached with the stamp it was computed at', async () => {
    // Act
    const first = await facts();
    const cachedAfterFirst = await cache();
    const second = await facts();
    // Assess
    expect(first).toBe(await live());
    expect(second).toBe(first);
    expect(cachedAfterFirst).toMatch(new RegExp(`^-?[0-9]+ ${first}$`));
  });

  it('is computed again after a change of schema, so a stale hash is never reported', async () => {
    // Prepare
    const before = await facts();
    // Act
    await db.query('ALTER TABLE account ADD COLUMN name text');
    const after = await facts();
    // Assess
    expect(after).not.toBe(before);
    expect(after).toBe(await live());
    expect(await cache()).toContain(` ${after}`);
  });
});
