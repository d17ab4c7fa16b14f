/**
 * Starts one embedded PostgreSQL server for the whole test run. Test files
 * create their own databases on it (see `database.ts`); the admin URL reaches
 * the workers through `STAGEGATE_TEST_ADMIN_URL`.
 */
import { newEmbeddedServer } from './embedded-server.mjs';

export default async function globalSetup() {
  const { server, root, port, password } = await newEmbeddedServer({
    prefix: 'stagegate-test-pg-',
    persistent: false,
    extraFlags: ['-c', 'max_connections=200'],
  });
  await server.initialise();
  await server.start();
  process.env.STAGEGATE_TEST_ADMIN_URL = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  globalThis.__stagegateTestPostgres = { server, root };
}
