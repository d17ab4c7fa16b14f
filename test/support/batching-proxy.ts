import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of the test server that holds the server's bytes
 * until the server has been quiet for `quietMs` and passes them on in one
 * write, so answers the server sent one after another (a COMMIT and the next
 * migration's error) reach the client in one read. The client's bytes pass
 * at once. Every write to the client is kept in `deliveries`.
 */
export interface BatchingProxy {
  /** `url` with its host and port replaced by the proxy's. */
  url: string;
  deliveries: Buffer[];
  close(): Promise<void>;
}

/**
 * @example
 * const proxy = await batchingProxy(db.url, 50);
 * await runOnFolder(folder, proxy.url, { action: 'migrate' });
 */
export async function batchingProxy(url: string, quietMs: number): Promise<BatchingProxy> {
  const target = new URL(url);
  const deliveries: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    let held: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    upstream.on('data', (chunk: Buffer) => {
      held.push(chunk);
      clearTimeout(timer);
      timer = setTimeout(() => deliver(), quietMs);
    });
    const deliver = (): void => {
      const batch = Buffer.concat(held);
      held = [];
      deliveries.push(batch);
      client.write(batch);
    };
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => setTimeout(() => client.destroy(), quietMs * 2));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String((server.address() as { port: number }).port);
  return {
    url: proxied.toString(),
    deliveries,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * True when one delivery holds a `COMMIT` command tag and then an error
 * with `sqlstate`: the previous migration's commit and the next one's
 * failure arrived in the same read.
 */
export function committedAndFailedTogether(deliveries: readonly Buffer[], sqlstate: string): boolean {
  return deliveries.some((d) => {
    const commit = d.indexOf('COMMIT\0');
    return commit >= 0 && d.indexOf(`C${sqlstate}\0`, commit) > commit;
  });
}
