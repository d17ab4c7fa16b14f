/** Stops the server started by `global-setup.mjs` and removes its folder. */
import { rm } from 'node:fs/promises';

export default async function globalTeardown() {
  const instance = globalThis.__stagegateTestPostgres;
  if (!instance) return;
  delete globalThis.__stagegateTestPostgres;
  await instance.server.stop();
  await rm(instance.root, { recursive: true, force: true });
}
