import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { LockTimeoutError } from '../../core/errors';
import type { StopSignal } from '../../ports';
import { settle, type Settled } from '../../core/settled';
import { mappingErrors } from './errors';

/**
 * First key of every stagegate advisory lock: `0x73746167`, the bytes of
 * "stag". Advisory locks share one key space per database, so a fixed class
 * keeps ours apart from the application's own `pg_advisory_lock(bigint)` keys.
 */
export const LOCK_CLASS_ID = 0x73746167;

/** The two int4 keys of a ledger's lock. */
export interface LockKey {
  classId: number;
  objectId: number;
}

/**
 * The advisory-lock key of the ledger in `schema`: {@link LOCK_CLASS_ID} and
 * the 32-bit FNV-1a hash of the schema name's UTF-8 bytes, as a signed int4,
 * so ledgers in different schemas of one database never block each other.
 *
 * @example
 * lockKey('stagegate'); // → { classId: 1937006951, objectId: <int4> }
 */
export function lockKey(schema: string): LockKey {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(schema, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return { classId: LOCK_CLASS_ID, objectId: hash | 0 };
}

export interface AdvisoryLockOptions {
  /** Ledger schema: names the lock and the error. */
  schema: string;
  /** How long to keep trying, in ms. At least one attempt is made. */
  waitMs: number;
  /** Pause between attempts, in ms; up to 25 % jitter is added. */
  pollMs: number;
  /** Stops waiting once `signal` is aborted, throwing `error()`. */
  stop?: { signal: StopSignal; error: () => Error };
}

async function tryLock(client: pg.Client, key: LockKey): Promise<boolean> {
  const result = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1, $2) as locked', [
    key.classId,
    key.objectId,
  ]);
  return result.rows[0]?.locked === true;
}

/** The `pg_locks l` row of the ledger's lock as a session holds it, in this database; `$1` and `$2` are {@link heldLockValues}. */
export const HELD_LOCK_WHERE = `l.locktype = 'advisory' and l.granted and l.objsubid = 2
          and l.database = (select oid from pg_database where datname = current_database())
          and l.classid = $1::oid and l.objid = $2::oid`;

/**
 * The values of {@link HELD_LOCK_WHERE} for `key`: pg_locks shows the int4 keys as unsigned oids.
 *
 * @example
 * await client.query(`select exists (select 1 from pg_locks l where ${HELD_LOCK_WHERE})`, heldLockValues(lockKey('stagegate')));
 */
export function heldLockValues(key: LockKey): [string, string] {
  return [String(key.classId >>> 0), String(key.objectId >>> 0)];
}

/** Best effort: who holds the lock, for the timeout message. */
async function describeHolder(client: pg.Client, key: LockKey): Promise<string | undefined> {
  try {
    const result = await client.query<{ application_name: string; pid: number; backend_start: Date | null }>(
      `select a.application_name, a.pid, a.backend_start
         from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where ${HELD_LOCK_WHERE}
        limit 1`,
      heldLockValues(key),
    );
    const row = result.rows[0];
    if (!row) return undefined;
    const since = row.backend_start ? `, connected since ${row.backend_start.toISOString()}` : '';
    return `${row.application_name || 'an unnamed session'} (pid ${row.pid}${since})`;
  } catch {
    return undefined;
  }
}

/** Takes the lock; returns the settled reads sent ahead when the first attempt took it (their error is thrown under the lock). */
async function acquire<A>(client: pg.Client, key: LockKey, options: AdvisoryLockOptions, ahead?: () => Promise<A>): Promise<Settled<A> | undefined> {
  const started = performance.now();
  // The reads go out right behind the first attempt, in the same round trip; they count only if it took the lock.
  const first = tryLock(client, key);
  const read = ahead ? settle(ahead()) : undefined;
  const locked = await first.finally(() => read);
  if (locked) return read;
  for (;;) {
    const waited = performance.now() - started;
    if (waited >= options.waitMs) {
      throw new LockTimeoutError(options.schema, waited, await describeHolder(client, key));
    }
    if (options.stop?.signal.aborted) throw options.stop.error();
    const pause = options.pollMs * (1 + Math.random() * 0.25);
    await sleep(Math.min(pause, options.waitMs - waited));
    if (options.stop?.signal.aborted) throw options.stop.error();
    if (await tryLock(client, key)) return undefined;
  }
}

/**
 * Takes the ledger's session-level advisory lock by polling
 * `pg_try_advisory_lock` outside any transaction, runs `fn`, then unlocks.
 * Never calls the blocking `pg_advisory_lock`: a waiter blocked inside
 * Postgres would deadlock against another run's `CREATE INDEX CONCURRENTLY`.
 * Throws `LockTimeoutError`, naming the holder, once `waitMs` has passed.
 * `ahead`: reads (never writes) sent with the first attempt, on a pipelined
 * client in the same round trip; `fn` gets their value when that attempt took
 * the lock, undefined when a later one did (their error is thrown under the lock).
 *
 * @example
 * await withAdvisoryLock(client, { schema: 'stagegate', waitMs: 30_000, pollMs: 200 }, async () => {
 *   // only one run per ledger gets here at a time
 * });
 */
export async function withAdvisoryLock<T, A = never>(
  client: pg.Client,
  options: AdvisoryLockOptions,
  fn: (ahead: A | undefined) => Promise<T>,
  ahead?: () => Promise<A>,
): Promise<T> {
  const key = lockKey(options.schema);
  const read = await mappingErrors('taking the migration lock', () => acquire(client, key, options, ahead));
  try {
    if (read && !read.ok) throw read.error;
    return await fn(read?.value);
  } finally {
    // On a broken connection this fails; closing the session releases the lock anyway.
    await client.query('select pg_advisory_unlock($1, $2)', [key.classId, key.objectId]).catch(() => undefined);
  }
}
