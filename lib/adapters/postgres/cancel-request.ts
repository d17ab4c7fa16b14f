/**
 * PostgreSQL's cancel request for one session: a 16-byte message on a new
 * connection to the same server, naming the backend by its process id and
 * the secret key it sent when the session opened. It needs no credentials,
 * so no token or secret is fetched for it, and the server closes the
 * connection once it has signalled the backend; that close is when the
 * cancel counts as delivered (see `run-deadline.ts` for why it matters).
 */
import net from 'node:net';
import pg from 'pg';

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
/** Clients a cancel was asked for: no statement of a script is sent to them any more (see {@link cancelRequested}). */
const requested = new WeakSet<pg.Client>();
/** Clients writing the ledger around a script's statements: a cancel asked for then is not sent (see {@link holdingCancels}). */
const held = new WeakSet<pg.Client>();

function cancelMessage(processId: number, secretKey: number): Buffer {
  const message = Buffer.alloc(16);
  message.writeInt32BE(16, 0);
  message.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  message.writeInt32BE(processId, 8);
  message.writeInt32BE(secretKey, 12);
  return message;
}

function deliver(key: BackendKey & { processID: number; secretKey: number }): Promise<void> {
  let socket: net.Socket;
  try {
    // A host starting with a slash is the directory of the server's Unix socket, as for pg itself.
    socket = key.host.startsWith('/') ? net.connect(`${key.host}/.s.PGSQL.${key.port}`) : net.connect(key.port, key.host);
  } catch {
    return Promise.resolve();
  }
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
  requested.add(client);
  const key = client as unknown as BackendKey;
  // Held: it would hit the ledger's writes, not the migration (the deadline watch asks again while the step runs).
  if (held.has(client) || key.processID === null || key.secretKey === null) return Promise.resolve();
  const previous = delivering.get(client) ?? Promise.resolve();
  const sent = previous.then(() => deliver(key as BackendKey & { processID: number; secretKey: number })).catch(() => undefined);
  delivering.set(client, sent);
  return sent;
}

/**
 * True once a cancel was asked for `client` (its run's deadline passed):
 * the statements of a script still to be sent are not sent. A cancel that
 * reaches the server between two statements is ignored there, so without
 * this a script of many short statements would go on past the deadline.
 *
 * @example
 * if (cancelRequested(client)) throw cancelledAtDeadline(); // before each statement
 */
export function cancelRequested(client: pg.Client): boolean {
  return requested.has(client);
}

/**
 * The failure of a statement not sent because a cancel was asked for (the
 * run's deadline passed): a cancel's, SQLSTATE 57014.
 *
 * @example
 * if (cancelRequested(client)) throw notSentAtDeadline();
 */
export function notSentAtDeadline(): pg.DatabaseError {
  const error = new pg.DatabaseError("canceling statement due to the run's deadline (not sent: a cancel was asked for)", 0, 'error');
  error.code = '57014';
  return error;
}

/**
 * Runs `fn` (ledger or session writes around a script's statements) with
 * cancels held: once those sent before have arrived, none is sent until
 * `fn` settled, so a deadline cannot cut the ledger's record of what ran.
 *
 * @example
 * await holdingCancels(client, () => protocol.after(durationMs));
 */
export async function holdingCancels<T>(client: pg.Client, fn: () => Promise<T>): Promise<T> {
  await cancelsDelivered(client);
  held.add(client);
  try {
    return await fn();
  } finally {
    held.delete(client);
  }
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
