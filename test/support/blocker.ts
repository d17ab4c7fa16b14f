import { randomInt } from 'node:crypto';
import type pg from 'pg';
import type { TestDatabase } from './database';

/**
 * A lock the test holds so that a migration, or a trigger on the ledger,
 * stops at a known point: its SQL waits for the lock, the test sees it
 * waiting in `pg_locks`, and then does its worst (terminates the session,
 * kills the process, restarts the server) at exactly that moment.
 */
export interface Blocker {
  /** SQL that waits for the blocker, then holds it until the end of its transaction. */
  waitSql: string;
  /** Resolves with the pid of the session waiting for the blocker (polls for up to 20 s). */
  waiter(): Promise<number>;
  /** Terminates the waiting session and resolves once it is gone. */
  terminateWaiter(): Promise<void>;
  /** Lets the waiter go (and any later one); safe to call twice. */
  release(): Promise<void>;
}

/**
 * Takes an advisory lock on a dedicated connection of `db` and returns the blocker.
 *
 * @example
 * const blocker = await holdBlocker(fdb.admin);
 * const run = fdb.migrate(folder); // a migration contains blocker.waitSql
 * await blocker.terminateWaiter();
 */
export async function holdBlocker(db: TestDatabase): Promise<Blocker> {
  const key = randomInt(1, 2 ** 31 - 1);
  const holder: pg.Client = await db.connect({ application_name: 'fault-blocker' });
  await holder.query('select pg_advisory_lock($1)', [key]);
  let released = false;
  const waiter = async (): Promise<number> => {
    for (let attempt = 0; attempt < 400; attempt += 1) {
      const rows = await db.query<{ pid: number }>(
        `select pid from pg_locks
          where locktype = 'advisory' and not granted and classid = 0 and objid = $1::oid and objsubid = 1
            and database = (select oid from pg_database where datname = current_database())`,
        [String(key)],
      );
      if (rows[0]) return rows[0].pid;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no session waited for blocker ${key}`);
  };
  return {
    waitSql: `SELECT pg_advisory_xact_lock(${key});`,
    waiter,
    terminateWaiter: async () => {
      const pid = await waiter();
      await db.query('select pg_terminate_backend($1, 10000)', [pid]);
    },
    release: async () => {
      if (released) return;
      released = true;
      await holder.end().catch(() => undefined);
    },
  };
}
