/**
 * PostgreSQL's cancel request for one session: a 16-byte message on a new
 * connection to the same server, naming the backend by its process id and
 * the secret key it sent when the session opened. It needs no credentials,
 * so no token or secret is fetched for it, and the server closes the
 * connection once it has signalled the backend; that close is when the
 * cancel counts as delivered (see `run-deadline.ts` for why it matters).
 */
import net from 'node:net';
import type pg from 'pg';

/** The cancel request code of the protocol (1234 << 16 | 5678). */
const CANCEL_REQUEST_CODE = 80_877_102;
/** A cancel that could not be delivered in this time is given up: it is best effort. */
export const CANCEL_DELIVERY_MS = 2_000;

/** What pg keeps of the session that a cancel request needs (set from BackendKeyData). */
interface BackendKey {
  processID: number | null;
  secretKey: number | null;
  host: string;
  port: number;
}

/** The cancel being delivered for each client, if any. */
const delivering = new WeakMap<pg.Client, Promise<void>>();

function cancelMessage(processId: number, secretKey: number): Buffer {
  const message = Buffer.alloc(16);
  message.writeInt32BE(16, 0);
  message.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  message.writeInt32BE(processId, 8);
  message.writeInt32BE(secretKey, 12);
  return message;
}

function deliver(key: BackendKey & { processID: number; secretKey: number }): Promise<void> {
  // A host starting with a slash is the directory of the server's Unix socket, as for pg itself.
  const socket = key.host.startsWith('/') ? net.connect(`${key.host}/.s.PGSQL.${key.port}`) : net.connect(key.port, key.host);
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, CANCEL_DELIVERY_MS);
    socket.once('connect', () => socket.write(cancelMessage(key.processID, key.secretKey)));
    // The server closes the connection after signalling the backend; an error means it could not be sent.
    socket.once('close', done);
    socket.once('error', done);
  });
}

/**
 * Sends the cancel request for `client`'s session and resolves once the
 * server closed that connection (or after {@link CANCEL_DELIVERY_MS}, or on
 * an error: best effort, never rejects). A client not connected yet has
 * nothing to cancel.
 *
 * @example
 * await sendCancelRequest(client); // the statement it runs fails with 57014
 */
export function sendCancelRequest(client: pg.Client): Promise<void> {
  const key = client as unknown as BackendKey;
  if (key.processID === null || key.secretKey === null) return Promise.resolve();
  const previous = delivering.get(client) ?? Promise.resolve();
  const sent = previous.then(() => deliver(key as BackendKey & { processID: number; secretKey: number }));
  delivering.set(client, sent);
  return sent;
}

/**
 * Resolves once every cancel sent for `client` was delivered (at once when
 * none was): ledger writes after a migration's statements wait for it, so a
 * late cancel cannot hit them.
 *
 * @example
 * await cancelsDelivered(client);
 */
export function cancelsDelivered(client: pg.Client): Promise<void> {
  return delivering.get(client) ?? Promise.resolve();
}
