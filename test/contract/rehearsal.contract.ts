/**
 * The promises of `LedgerSession.rehearse` (and of a `readOnly` session),
 * part of the `MigrationDatabase` contract: run from
 * `migration-database.contract.ts` with the same harness.
 */
import { normaliseSql } from '../../lib/core/checksum';
import type { Migration } from '../../lib/core/migration';
import { splitStatements } from '../../lib/core/sql-split';
import type { LedgerSession, RehearseRequest } from '../../lib/ports';
import { applyRequest, migration } from '../support/builders';
import type { ContractHarness } from './migration-database.contract';

const LIMITS = { lockTimeoutMs: 2_000, statementTimeoutMs: 10_000 };

function request(m: Migration, dependsOn: string[] = []): RehearseRequest {
  return { migration: m, statements: splitStatements(normaliseSql(m.sql)), dependsOn };
}

/** Declares the rehearsal tests; `harness` returns the current test's harness. */
export function describeRehearsalContract(harness: () => ContractHarness): void {
  describe('rehearse', () => {
    const tableExists = async (table: string): Promise<boolean> =>
      (await harness().query<{ found: boolean }>('select to_regclass($1) is not null as found', [table]))[0]?.found === true;
    const readOnly = <T>(fn: (session: LedgerSession) => Promise<T>): Promise<T> => harness().db.withLock({ waitMs: 5_000, readOnly: true }, fn);

    it('runs each request in order, reports each, and keeps nothing: not even a ledger in a read-only session', async () => {
      // Prepare
      const first = migration({ id: 'app/0001_a', sql: 'create table rehearsed_a (id int);\ninsert into rehearsed_a values (1);' });
      const second = migration({ id: 'app/0002_b', sql: 'alter table rehearsed_a add column b text;', dependencies: ['app/0001_a'] });
      // Act
      const outcomes = await readOnly((session) => session.rehearse([request(first), request(second, ['app/0001_a'])], LIMITS));
      // Assess
      expect(outcomes.map((o) => [o.id, o.file, o.status])).toEqual([
        ['app/0001_a', 'app/0001_a.sql', 'rehearsed'],
        ['app/0002_b', 'app/0002_b.sql', 'rehearsed'],
      ]);
      expect(outcomes.every((o) => typeof o.durationMs === 'number' && o.durationMs >= 0)).toBe(true);
      expect(await tableExists('rehearsed_a')).toBe(false);
      expect(await harness().query('select 1 from pg_namespace where nspname = $1', [harness().schema])).toHaveLength(0);
    });

    it('rolls a failed request back to its savepoint, skips what depends on it, and runs the rest', async () => {
      // Prepare: the failing request created rehearsed_t before failing; an independent one creates it again
      const failing = migration({ id: 'app/0001_a', sql: 'create table rehearsed_t (id int);\n\nselect nope from rehearsed_t;' });
      const dependent = migration({ id: 'app/0002_b', sql: 'alter table rehearsed_t add column b int;' });
      const transitive = migration({ id: 'app/0003_c', sql: 'alter table rehearsed_t add column c int;' });
      const independent = migration({ id: 'other/0001_a', sql: 'create table rehearsed_t (id int);' });
      // Act
      const outcomes = await readOnly((session) =>
        session.rehearse([request(failing), request(dependent, ['app/0001_a']), request(transitive, ['app/0002_b']), request(independent)], LIMITS),
      );
      // Assess
      expect(outcomes[0]).toMatchObject({ id: 'app/0001_a', status: 'failed', failure: { migration: 'app/0001_a', file: 'app/0001_a.sql', line: 3, sqlstate: '42703', pgMessage: 'column "nope" does not exist' } });
      expect(outcomes[0]?.failure?.statement).toBe('select nope from rehearsed_t');
      expect(outcomes[1]).toEqual({ id: 'app/0002_b', file: 'app/0002_b.sql', status: 'not-rehearsable', reason: 'depends on app/0001_a, which failed' });
      expect(outcomes[2]).toMatchObject({ status: 'not-rehearsable', reason: 'depends on app/0002_b, which was not rehearsed because app/0001_a failed' });
      expect(outcomes[3]).toMatchObject({ id: 'other/0001_a', status: 'rehearsed' });
      expect(await tableExists('rehearsed_t')).toBe(false);
    });

    it('reports a no-transaction request as not rehearsable, and an empty list as nothing', async () => {
      // Prepare
      const concurrent = migration({ id: 'app/0001_a', sql: 'create table rehearsed_nt (id int);', noTransaction: true });
      // Act
      const [outcomes, none] = await readOnly(async (session) => [await session.rehearse([request(concurrent)], LIMITS), await session.rehearse([], LIMITS)] as const);
      // Assess
      expect(outcomes).toEqual([{ id: 'app/0001_a', file: 'app/0001_a.sql', status: 'not-rehearsable', reason: expect.stringContaining('no-transaction') }]);
      expect(none).toEqual([]);
      expect(await tableExists('rehearsed_nt')).toBe(false);
    });

    it('leaves the ledger and the session as they were: rows unchanged, apply still works afterwards', async () => {
      // Prepare
      const applied = migration({ id: 'app/0001_a', sql: 'create table rehearsed_l (id int);' });
      const next = migration({ id: 'app/0002_b', sql: 'alter table rehearsed_l add column b int;' });
      await harness().db.withLock({ waitMs: 5_000 }, (session) => session.apply(applyRequest(applied)));
      const before = await harness().db.withReader((reader) => reader.readLedger());
      // Act
      const outcomes = await harness().db.withLock({ waitMs: 5_000 }, async (session) => {
        const rehearsed = await session.rehearse([request(next)], LIMITS);
        await session.apply(applyRequest(next));
        return rehearsed;
      });
      // Assess
      expect(outcomes.map((o) => o.status)).toEqual(['rehearsed']);
      const after = await harness().db.withReader((reader) => reader.readLedger());
      expect(after.rows.map((r) => r.id).sort()).toEqual(['app/0001_a', 'app/0002_b']);
      expect(after.rows.find((r) => r.id === 'app/0001_a')).toEqual(before.rows[0]);
      expect(await harness().query("select column_name from information_schema.columns where table_name = 'rehearsed_l' order by 1")).toEqual([{ column_name: 'b' }, { column_name: 'id' }]);
    });
  });
}
