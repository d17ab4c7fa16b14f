import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A fresh database on the test server, for one test file. */
export interface TestDatabase {
  /** Connection URL (the admin user, so tests can inspect anything). */
  url: string;
  name: string;
  /** Runs one query on a pooled connection and returns its rows. */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Opens a dedicated connection (e.g. to hold a lock); the caller ends it. */
  connect(config?: Partial<pg.ClientConfig>): Promise<pg.Client>;
  /** Ends every connection to the database and drops it. */
  drop(): Promise<void>;
}

/** The admin URL the global setup published. */
export function adminUrl(): string {
  const url = process.env.STAGEGATE_TEST_ADMIN_URL;
  if (!url) throw new Error('STAGEGATE_TEST_ADMIN_URL is not set: run the tests through jest (test/support/global-setup.mjs).');
  return url;
}

/** `url` with its path replaced by `database`. */
export function urlFor(database: string, base = adminUrl()): string {
  const url = new URL(base);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

async function withAdmin<T>(base: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: base });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a database with a random name and returns handles to use and drop it.
 * `base` is the admin URL of the server: the shared test server unless a test runs its own.
 *
 * @example
 * const database = await createTestDatabase();
 * afterAll(() => database.drop());
 */
export async function createTestDatabase(base = adminUrl()): Promise<TestDatabase> {
  const name = `stagegate_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(base, (admin) => admin.query(`create database ${pg.escapeIdentifier(name)}`));
  const url = urlFor(name, base);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // A pooled connection may be terminated by a test; the pool replaces it.
  pool.on('error', () => undefined);
  return {
    url,
    name,
    query: async (sql, params) => (await pool.query(sql, params)).rows,
    connect: async (config = {}) => {
      const client = new pg.Client({ connectionString: url, ...config });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    },
    drop: async () => {
      await pool.end();
      await withAdmin(base, async (admin) => {
        await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
        await admin.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
      });
    },
  };
}

/** When {@link useTestDatabase} makes its database: one per test, or one for the whole file. */
export type DatabaseScope = 'test' | 'file';

/**
 * Registers the hooks that create a fresh database (for each test, or once
 * for the file) and drop it afterwards. The returned handle always points
 * at the current database, so it can be kept in a `const`.
 *
 * @example
 * const db = useTestDatabase();
 * it('…', async () => { await db.query('select 1'); });
 */
export function useTestDatabase(scope: DatabaseScope = 'test'): TestDatabase {
  let current: TestDatabase | undefined;
  const now = (): TestDatabase => {
    if (!current) throw new Error('The test database exists only while a test runs.');
    return current;
  };
  const [before, after] = scope === 'test' ? [beforeEach, afterEach] : [beforeAll, afterAll];
  before(async () => {
    current = await createTestDatabase();
  });
  after(() => now().drop());
  return {
    get url() {
      return now().url;
    },
    get name() {
      return now().name;
    },
    query: <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => now().query<R>(sql, params),
    connect: (config) => now().connect(config),
    drop: () => now().drop(),
  };
}
