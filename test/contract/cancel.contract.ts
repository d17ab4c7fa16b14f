/**
 * The promises of `LedgerSession.cancel`, part of the `MigrationDatabase`
 * contract: run from `migration-database.contract.ts` with the same harness.
 */
import { MigrationFailedError } from '../../lib/core/errors';
import type { LedgerSession } from '../../lib/ports';
import { applyRequest, migration } from '../support/builders';
import type { ContractHarness } from './migration-database.contract';

const SLOW = 'select pg_sleep(0.3);\n'.repeat(10);
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Declares the cancel tests; `harness` returns the current test's harness. */
export function describeCancelContract(harness: () => ContractHarness): void {
  describe('cancel', () => {
    const inSession = <T>(fn: (session: LedgerSession) => Promise<T>): Promise<T> => harness().db.withLock({ waitMs: 5_000 }, fn);
    const rows = (): Promise<Array<{ id: string; state: string }>> =>
      harness().db.withReader(async (reader) => (await reader.readLedger()).rows.map(({ id, state }) => ({ id, state })));

    it('cancels a transactional migration in flight: it rejects with 57014 and leaves no trace, and the session goes on', async () => {
      // Prepare
      const slow = migration({ id: 'app/0001_slow', sql: `create table cancelled_t (id int);\n${SLOW}` });
      const next = migration({ id: 'app/0002_next', sql: 'create table after_cancel (id int);' });
      const started = Date.now();
      // Act
      const { error, elapsed } = await inSession(async (session) => {
        const applying = session.apply(applyRequest(slow)).catch((caught: unknown) => caught);
        await pause(400);
        await session.cancel();
        const failure = await applying;
        const ms = Date.now() - started;
        await session.apply(applyRequest(next));
        return { error: failure, elapsed: ms };
      });
      // Assess
      expect(error).toBeInstanceOf(MigrationFailedError);
      expect((error as MigrationFailedError).failure).toMatchObject({ migration: slow.id, sqlstate: '57014' });
      expect(elapsed).toBeLessThan(2_000);
      expect(await rows()).toEqual([{ id: next.id, state: 'applied' }]);
    });

    it('cancels a no-transaction migration in flight: what ran stays, and its row is failed, not running', async () => {
      // Prepare
      const slow = migration({ id: 'app/0001_bulk', sql: `create table kept_t (id int);\n${SLOW}`, noTransaction: true });
      // Act
      const error = await inSession(async (session) => {
        const applying = session.apply(applyRequest(slow)).catch((caught: unknown) => caught);
        await pause(400);
        await session.cancel();
        return applying;
      });
      // Assess
      expect((error as MigrationFailedError).failure).toMatchObject({ sqlstate: '57014' });
      expect(await rows()).toEqual([{ id: slow.id, state: 'failed' }]);
      expect(await harness().query("select to_regclass('kept_t') is not null as kept")).toEqual([{ kept: true }]);
    });

    it('has no effect once delivered to a session that runs nothing', async () => {
      // Prepare
      const quick = migration({ id: 'app/0001_quick', sql: 'create table idle_cancel (id int);' });
      // Act
      await inSession(async (session) => {
        await session.cancel();
        await session.apply(applyRequest(quick));
      });
      // Assess
      expect(await rows()).toEqual([{ id: quick.id, state: 'applied' }]);
    });
  });
}
