import { createServer, type AddressInfo } from 'node:net';

/**
 * A port of 127.0.0.1 nobody listens on right now: the one the OS hands out
 * for port 0. Another process may take it before the caller binds it, which
 * on a development machine is rare enough.
 *
 * @example
 * const port = await freePort();
 */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => done(port));
    });
  });
}
