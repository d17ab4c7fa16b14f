import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the fake answers to the next GetObject requests. */
export type FakeS3Reply =
  /** 500 InternalError, as S3 answers when it is in trouble (the SDK retries it). */
  | { kind: 'error' }
  /** The headers of `body`, half of it, then the connection closes. */
  | { kind: 'cut'; body: Buffer }
  /** The headers of `body`, half of it, then nothing more: the connection stays open. */
  | { kind: 'stall'; body: Buffer }
  /** A Content-Length of `bytes` and no body. */
  | { kind: 'huge'; bytes: number }
  /** `body`, whole. */
  | { kind: 'ok'; body: Buffer };

export interface FakeS3 {
  /** `http://127.0.0.1:<port>`, for a path-style client. */
  endpoint: string;
  /** Sets the answer to every following request. */
  reply(reply: FakeS3Reply): void;
  /** How many requests arrived so far. */
  requests(): number;
  stop(): Promise<void>;
}

function answer(reply: FakeS3Reply, res: ServerResponse): void {
  const headers = { 'content-type': 'application/gzip', 'last-modified': new Date(0).toUTCString(), etag: '"fake"' };
  if (reply.kind === 'error') {
    res.writeHead(500, { 'content-type': 'application/xml' });
    res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>');
  } else if (reply.kind === 'huge') {
    res.writeHead(200, { ...headers, 'content-length': String(reply.bytes) });
    res.flushHeaders();
  } else if (reply.kind === 'ok') {
    res.writeHead(200, { ...headers, 'content-length': String(reply.body.length) });
    res.end(reply.body);
  } else {
    res.writeHead(200, { ...headers, 'content-length': String(reply.body.length) });
    res.write(reply.body.subarray(0, Math.floor(reply.body.length / 2)));
    if (reply.kind === 'cut') setTimeout(() => res.socket?.destroy(), 20);
  }
}

/**
 * An HTTP server that speaks just enough of S3's GetObject (path-style
 * `GET /<bucket>/<key>`, any signature) to fail the way S3 or the network
 * can: errors, bodies shorter than their Content-Length, stalls.
 *
 * @example
 * const s3 = await startFakeS3();
 * s3.reply({ kind: 'cut', body: bytes });
 */
export async function startFakeS3(): Promise<FakeS3> {
  let current: FakeS3Reply = { kind: 'error' };
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    count += 1;
    req.resume();
    if (req.method !== 'GET') {
      res.writeHead(501).end();
      return;
    }
    answer(current, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reply: (reply) => {
      current = reply;
    },
    requests: () => count,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
