/**
 * What a locked session reads before anything else. Sent in the same write as
 * the first attempt to take the lock (see `withAdvisoryLock`'s `ahead`), so
 * opening a session costs one round trip: reads only, so nothing is written
 * before the lock is held, and used only when that attempt took the lock.
 */
import type pg from 'pg';
import { LEDGER_REVISION, storedFormat, type LedgerTables, type StoredFormat } from './ledger';

/** The ledger's format and complete mark, and whether a run is still marked running. */
export interface LedgerOpening {
  format: StoredFormat;
  /** A run is still marked `running`; true when that could not be read (closing abandoned runs then says why). */
  running: boolean;
}

async function anyRunning(client: pg.Client, t: LedgerTables): Promise<boolean> {
  try {
    const result = await client.query<{ running: boolean }>(`select exists (select 1 from ${t.runs} where outcome = 'running') as running`);
    return result.rows[0]?.running !== false;
  } catch {
    return true;
  }
}

/**
 * Sends both reads at once (on a pipelined client, one round trip) and
 * returns their answers; rejects only as `storedFormat` does.
 *
 * @example
 * const { format, running } = await readOpening(client, ledgerTables('stagegate'));
 */
export function readOpening(client: pg.Client, t: LedgerTables): Promise<LedgerOpening> {
  const format = storedFormat(client, t);
  const running = anyRunning(client, t);
  return format.then(async (read) => ({ format: read, running: await running }));
}

/**
 * The complete mark as the session may trust it until it writes one:
 * undefined when `ensureLedger` is about to upgrade the ledger, which may
 * drop the mark, and null when there is none.
 *
 * @example
 * const mark = trustedMark(format); // '3f2a… 9b1c…', null or undefined
 */
export function trustedMark(format: StoredFormat): string | null | undefined {
  return format.version !== null && Number(format.revision) >= LEDGER_REVISION ? format.mark : undefined;
}
