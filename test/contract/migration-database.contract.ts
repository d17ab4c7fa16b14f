/**
 * The promises every `MigrationDatabase` keeps. Each adapter runs this suite
 * from its own `*.test.ts` with a factory of fresh, empty databases.
 */
import { MigrationFailedError, MigrationRunnerError } from '../../lib/core/errors';
import type { AppliedMigration } from '../../lib/core/migration';
import type { LedgerSession, MigrationDatabase, RevertRequest } from '../../lib/ports';
import { splitStatements } from '../../lib/core/sql-split';
import { applyRequest, migration, recordRequest } from '../support/builders';
import { describeCancelContract } from './cancel.contract';
import { describeRehearsalContract } from './rehearsal.contract';

/** One fresh database behind the adapter under test. */
export interface ContractHarness {
  db: MigrationDatabase;
  /** The ledger schema `db` uses. */
  schema: string;
  /** Runs SQL on the same database through another connection, to observe effects. */
  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  cleanup(): Promise<void>;
}

const LOCK = { waitMs: 5_000 };

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

function rowOf(rows: AppliedMigration[], id: string): AppliedMigration | undefined {
  return rows.find((row) => row.id === id);
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export function describeMigrationDatabaseContract(name: string, makeDb: () => Promise<ContractHarness>): void {
  describe(`MigrationDatabase contract: ${name}`, () => {
    let h: ContractHarness;
    const tableExists = async (table: string): Promise<boolean> =>
      (await h.query<{ found: boolean }>('select to_regclass($1) is not null as found', [table]))[0]?.found === true;
    const ledgerRows = (): Promise<AppliedMigration[]> =>
      h.db.withReader(async (reader) => (await reader.readLedger()).rows);
    const inSession = <T>(fn: (session: LedgerSession) => Promise<T>): Promise<T> => h.db.withLock(LOCK, fn);

    beforeEach(async () => {
      h = await makeDb();
    });
    afterEach(async () => {
      await h.cleanup();
    });

    describe('ledger creation', () => {
      it('reports a missing ledger from withReader and creates nothing', async () => {
        // Act
        const first = await h.db.withReader((reader) => reader.readLedger());
        const second = await h.db.withReader((reader) => reader.readLedger());

        // Assess
        expect(first).toEqual({ exists: false, rows: [] });
        expect(second).toEqual({ exists: false, rows: [] });
        expect(await h.query('select 1 from pg_namespace where nspname = $1', [h.schema])).toHaveLength(0);
      });

      it('creates an empty ledger inside withLock, idempotently', async () => {
        // Act
        const inside = await inSession((session) => session.readLedger());
        await inSession(async () => undefined);
        const after = await h.db.withReader((reader) => reader.readLedger());

        // Assess
        expect(inside).toEqual({ exists: true, rows: [] });
        expect(after).toEqual({ exists: true, rows: [] });
      });

      it('lets the session that created the ledger read its own rows and mark afterwards', async () => {
        // Prepare
        const m = migration({ id: 'app/0001_first', sql: 'create table contract_created (id int);' });

        // Act
        const seen = await inSession(async (session) => {
          const before = { rows: (await session.readLedger()).rows.length, marked: await session.isMarkedComplete('bundle-a') };
          await session.apply(applyRequest(m));
          await session.markComplete('bundle-a');
          return { before, rows: (await session.readLedger()).rows.map((r) => r.id), marked: await session.isMarkedComplete('bundle-a') };
        });

        // Assess
        expect(seen).toEqual({ before: { rows: 0, marked: false }, rows: [m.id], marked: true });
      });
    });

    describe('lock', () => {
      it('returns the callback value and passes its error through, releasing the lock each time', async () => {
        // Prepare
        const boom = new Error('boom');

        // Act
        const value = await inSession(async () => 42);
        const error = await rejectionOf(inSession(async () => Promise.reject(boom)));
        const again = await h.db.withLock({ waitMs: 0 }, async () => 'free');

        // Assess
        expect(value).toBe(42);
        expect(error).toBe(boom);
        expect(again).toBe('free');
      });

      it('lets only one session hold the lock; the other times out without running', async () => {
        // Prepare
        const release = deferred();
        const holding = deferred();
        const holder = inSession(async () => {
          holding.resolve();
          await release.promise;
        });
        await holding.promise;
        let secondRan = false;

        // Act
        const started = Date.now();
        const error = await rejectionOf(
          h.db.withLock({ waitMs: 300 }, async () => {
            secondRan = true;
          }),
        );
        const waited = Date.now() - started;
        release.resolve();
        await holder;

        // Assess
        expect(error).toBeInstanceOf(MigrationRunnerError);
        expect((error as MigrationRunnerError).code).toBe('LOCK_TIMEOUT');
        expect(waited).toBeGreaterThanOrEqual(290);
        expect(secondRan).toBe(false);
        await expect(h.db.withLock({ waitMs: 0 }, async () => 'after')).resolves.toBe('after');
      });

      it('hands the lock to a waiting session once it is released', async () => {
        // Prepare
        const events: string[] = [];
        const holding = deferred();
        const holder = inSession(async () => {
          holding.resolve();
          await new Promise((resolve) => setTimeout(resolve, 300));
          events.push('first done');
        });
        await holding.promise;

        // Act
        await h.db.withLock({ waitMs: 10_000 }, async () => {
          events.push('second in');
        });
        await holder;

        // Assess
        expect(events).toEqual(['first done', 'second in']);
      });
    });

    describe('apply in a transaction', () => {
      it('commits the statements and the ledger row together', async () => {
        // Prepare
        const m = migration({
          id: 'app/0001_create',
          sql: 'create table contract_one (id int primary key);\ninsert into contract_one values (1);\n',
        });

        // Act
        const result = await inSession((session) =>
          session.apply(applyRequest(m, { bundleId: 'bundle-a', runId: 7, appliedBy: 'ci@pipeline' })),
        );

        // Assess
        expect(result.durationMs).toBeGreaterThanOrEqual(0);
        expect(await h.query('select id from contract_one')).toEqual([{ id: 1 }]);
        const row = rowOf(await ledgerRows(), m.id);
        expect(row).toEqual({
          id: m.id,
          checksum: m.checksum,
          state: 'applied',
          method: 'executed',
          appliedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          durationMs: result.durationMs,
          bundleId: 'bundle-a',
          appliedBy: 'ci@pipeline',
        });
      });

      it('leaves no trace when a statement fails, and the session stays usable', async () => {
        // Prepare
        const bad = migration({
          id: 'app/0001_bad',
          sql: 'create table contract_bad (id int);\ninsert into contract_bad values (\'x\');\n',
        });
        const good = migration({ id: 'app/0002_good', sql: 'create table contract_good (id int);' });

        // Act
        const { error, rows } = await inSession(async (session) => {
          const failure = await rejectionOf(session.apply(applyRequest(bad)));
          await session.apply(applyRequest(good));
          return { error: failure, rows: (await session.readLedger()).rows };
        });

        // Assess
        expect(error).toBeInstanceOf(MigrationFailedError);
        expect((error as MigrationFailedError).failure).toMatchObject({ migration: bad.id, file: bad.file, line: 2 });
        expect(await tableExists('contract_bad')).toBe(false);
        expect(await tableExists('contract_good')).toBe(true);
        expect(rows.map((row) => row.id)).toEqual([good.id]);
      });
    });

    describe('apply without a transaction', () => {
      it('shows a running row while the statements run, then an applied one', async () => {
        // Prepare
        const m = migration({
          id: 'app/0001_slow',
          sql: 'create table contract_nt (id int);\nselect pg_sleep(0.5);\n',
          noTransaction: true,
        });
        const seen = new Set<string>();

        // Act
        const applying = inSession((session) => session.apply(applyRequest(m)));
        let done = false;
        void applying.finally(() => (done = true)).catch(() => undefined);
        while (!done) {
          const row = rowOf(await ledgerRows().catch(() => []), m.id);
          if (row) seen.add(row.state);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        const { durationMs } = await applying;

        // Assess
        expect(seen.has('running')).toBe(true);
        expect(rowOf(await ledgerRows(), m.id)).toMatchObject({ state: 'applied', method: 'executed', durationMs });
        expect(durationMs).toBeGreaterThanOrEqual(450);
      });

      it('marks a failing migration failed and keeps what its earlier statements did', async () => {
        // Prepare
        const m = migration({
          id: 'app/0001_half',
          sql: 'create table contract_half (id int);\ninsert into contract_half values (\'x\');\n',
          noTransaction: true,
        });
        const next = migration({ id: 'app/0002_next', sql: 'select 1;' });

        // Act
        const error = await inSession(async (session) => {
          const failure = await rejectionOf(session.apply(applyRequest(m)));
          await session.record(recordRequest(next));
          return failure;
        });

        // Assess
        expect(error).toBeInstanceOf(MigrationFailedError);
        expect((error as MigrationFailedError).remedy).toContain('resolve');
        expect(await tableExists('contract_half')).toBe(true);
        const rows = await ledgerRows();
        expect(rowOf(rows, m.id)).toMatchObject({ state: 'failed', method: 'executed' });
        expect(rowOf(rows, next.id)).toMatchObject({ state: 'applied' });
      });
    });

    describe('record', () => {
      it('writes an applied row with method recorded and runs no SQL', async () => {
        // Prepare
        const m = migration({ id: 'app/0001_squash', sql: 'create table contract_squash (id int);' });

        // Act
        await inSession((session) => session.record(recordRequest(m, { bundleId: 'bundle-s', appliedBy: 'me' })));

        // Assess
        expect(rowOf(await ledgerRows(), m.id)).toMatchObject({
          checksum: m.checksum,
          state: 'applied',
          method: 'recorded',
          durationMs: 0,
          bundleId: 'bundle-s',
          appliedBy: 'me',
        });
        expect(await tableExists('contract_squash')).toBe(false);
      });
    });

    describe('revert', () => {
      const up = migration({
        id: 'app/0001_table',
        sql: 'create table contract_rev (id int);',
        downSql: 'drop table contract_rev;',
      });
      const revertOf = (m: typeof up, rows: string[] = [m.id], downSql = m.downSql ?? ''): RevertRequest => ({
        migration: m,
        statements: splitStatements(downSql),
        rows,
        runId: 3,
        lockTimeoutMs: 0,
        statementTimeoutMs: 0,
      });

      it('runs the reverse script and deletes the rows together', async () => {
        // Prepare
        const other = migration({ id: 'app/0002_other', sql: 'select 1;' });
        await inSession(async (session) => {
          await session.apply(applyRequest(up));
          await session.record(recordRequest(other));
        });

        // Act
        const result = await inSession((session) => session.revert(revertOf(up, [up.id, other.id])));

        // Assess
        expect(result.durationMs).toBeGreaterThanOrEqual(0);
        expect(await tableExists('contract_rev')).toBe(false);
        expect(await ledgerRows()).toEqual([]);
      });

      it('leaves the migration applied when the reverse script fails, naming the .down.sql, and the session stays usable', async () => {
        // Prepare
        await inSession((session) => session.apply(applyRequest(up)));

        // Act
        const { error, rows } = await inSession(async (session) => {
          const failure = await rejectionOf(session.revert(revertOf(up, [up.id], 'drop table contract_rev;\nselect 1/0;')));
          return { error: failure, rows: (await session.readLedger()).rows };
        });

        // Assess
        expect(error).toBeInstanceOf(MigrationFailedError);
        expect((error as MigrationFailedError).failure).toMatchObject({ migration: up.id, file: 'app/0001_table.down.sql', line: 2, reverting: true });
        expect((error as MigrationFailedError).message).toContain('reverse script');
        expect(await tableExists('contract_rev')).toBe(true);
        expect(rows.map((row) => [row.id, row.state])).toEqual([[up.id, 'applied']]);
      });

      it('without a transaction: deletes the row after the statements, or marks it failed and keeps what ran', async () => {
        // Prepare
        const nt = migration({ id: 'app/0003_nt', sql: 'create table contract_rev_nt (id int);\ncreate table contract_rev_nt2 (id int);', noTransaction: true });
        await inSession(async (session) => {
          await session.apply(applyRequest(up));
          await session.apply(applyRequest(nt));
        });

        // Act
        const error = await inSession((session) => rejectionOf(session.revert(revertOf(nt, [nt.id], 'drop table contract_rev_nt;\nselect 1/0;'))));
        const failedRow = rowOf(await ledgerRows(), nt.id);
        await inSession((session) => session.revert(revertOf({ ...up, directives: { ...up.directives, noTransaction: true } })));

        // Assess
        expect((error as MigrationFailedError).remedy).toContain('resolve');
        expect(failedRow).toMatchObject({ state: 'failed' });
        expect(await tableExists('contract_rev_nt')).toBe(false);
        expect(await tableExists('contract_rev_nt2')).toBe(true);
        expect(await tableExists('contract_rev')).toBe(false);
        expect((await ledgerRows()).map((row) => row.id)).toEqual([nt.id]);
      });
    });

    describe('resolveDirty', () => {
      const dirty = migration({
        id: 'app/0001_dirty',
        sql: 'create table contract_dirty (id int);\nselect 1/0;\n',
        noTransaction: true,
      });
      const makeDirty = (session: LedgerSession): Promise<unknown> => rejectionOf(session.apply(applyRequest(dirty)));

      it('marks a failed row applied and answers the failure it held', async () => {
        // Act
        const [failure, again] = await inSession(async (session) => {
          await makeDirty(session);
          return [await session.resolveDirty(dirty.id, 'applied', 9), await rejectionOf(session.resolveDirty(dirty.id, 'applied', 9))];
        });

        // Assess
        expect(rowOf(await ledgerRows(), dirty.id)).toMatchObject({ state: 'applied', checksum: dirty.checksum });
        expect(failure).toMatchObject({ code: 'MIGRATION_FAILED', migration: dirty.id });
        expect(again).toMatchObject({ code: 'NOT_DIRTY' });
      });

      it('deletes a failed row when it was rolled back', async () => {
        // Act
        const before = await inSession(async (session) => {
          await makeDirty(session);
          const rows = (await session.readLedger()).rows;
          await session.resolveDirty(dirty.id, 'rolled-back', 9);
          return rows;
        });

        // Assess
        expect(rowOf(before, dirty.id)?.state).toBe('failed');
        expect(rowOf(await ledgerRows(), dirty.id)).toBeUndefined();
      });

      it('refuses with NOT_DIRTY for a missing or applied row, naming the id', async () => {
        // Prepare
        const applied = migration({ id: 'app/0002_fine', sql: 'select 1;' });

        // Act
        const [missing, clean] = await inSession(async (session) => {
          await session.apply(applyRequest(applied));
          return [
            await rejectionOf(session.resolveDirty('app/0099_nowhere', 'applied', 1)),
            await rejectionOf(session.resolveDirty(applied.id, 'rolled-back', 1)),
          ];
        });

        // Assess
        expect(missing).toMatchObject({ code: 'NOT_DIRTY', message: expect.stringContaining('app/0099_nowhere') });
        expect(clean).toMatchObject({ code: 'NOT_DIRTY', message: expect.stringContaining(applied.id) });
        expect(rowOf(await ledgerRows(), applied.id)?.state).toBe('applied');
      });
    });

    describe('runs', () => {
      const runsTable = (): string => `"${h.schema.replace(/"/g, '""')}".runs`;

      it('records the start and the end of each run', async () => {
        // Act
        const [first, second] = await inSession(async (session) => {
          const a = await session.startRun({ action: 'migrate', bundleId: 'bundle-r', actor: 'ci' });
          await session.finishRun(a, { outcome: 'succeeded', applied: ['app/0001_a', 'app/0002_b'] });
          const b = await session.startRun({ action: 'migrate', bundleId: 'bundle-r', actor: 'ci' });
          await session.finishRun(b, { outcome: 'failed', applied: [], reverted: ['app/0003_c'], error: { code: 'MIGRATION_FAILED' } });
          return [a, b];
        });

        // Assess
        expect(second).toBeGreaterThan(first as number);
        const rows = await h.query(`select id, action, bundle_id, actor, outcome, applied, reverted, error, finished_at from ${runsTable()} order by id`);
        expect(rows).toEqual([
          expect.objectContaining({ action: 'migrate', bundle_id: 'bundle-r', actor: 'ci', outcome: 'succeeded', applied: ['app/0001_a', 'app/0002_b'], reverted: [], error: null, finished_at: expect.any(Date) }),
          expect.objectContaining({ outcome: 'failed', applied: [], reverted: ['app/0003_c'], error: { code: 'MIGRATION_FAILED' } }),
        ]);
      });

      it('marks a run that never finished as abandoned when the lock is next taken', async () => {
        // Prepare
        const runId = await inSession((session) => session.startRun({ action: 'migrate', bundleId: 'b', actor: 'ci' }));
        const during = await h.query<{ outcome: string }>(`select outcome from ${runsTable()} where id = $1`, [runId]);

        // Act
        await inSession(async () => undefined);

        // Assess
        expect(during).toEqual([{ outcome: 'running' }]);
        const after = await h.query(`select outcome, finished_at from ${runsTable()} where id = $1`, [runId]);
        expect(after).toEqual([{ outcome: 'abandoned', finished_at: expect.any(Date) }]);
      });
    });

    describe('complete mark', () => {
      const first = migration({ id: 'app/0001_first', sql: 'create table contract_mark_1 (id int);' });
      const second = migration({ id: 'app/0002_second', sql: 'create table contract_mark_2 (id int);' });
      const marked = (bundleId: string): Promise<boolean> => inSession((session) => session.isMarkedComplete(bundleId));
      const migrationsTable = (): string => `"${h.schema.replace(/"/g, '""')}".migrations`;

      it('is not there before the first mark, on an empty or a fresh ledger', async () => {
        // Act and Assess
        expect(await marked('bundle-a')).toBe(false);
        await inSession((session) => session.apply(applyRequest(first)));
        expect(await marked('bundle-a')).toBe(false);
      });

      it('holds for the marked bundle only, while the ledger stays as it was', async () => {
        // Prepare
        await inSession(async (session) => {
          await session.apply(applyRequest(first));
          await session.markComplete('bundle-a');
        });

        // Act and Assess
        expect(await marked('bundle-a')).toBe(true);
        expect(await marked('bundle-a')).toBe(true);
        expect(await marked('bundle-b')).toBe(false);
      });

      it('lapses when a row is added, removed or changed, by stagegate or by hand', async () => {
        // Prepare
        const mark = (): Promise<void> => inSession((session) => session.markComplete('bundle-a'));
        await inSession((session) => session.apply(applyRequest(first)));
        await mark();

        // Act and Assess: a new row
        await inSession((session) => session.apply(applyRequest(second)));
        expect(await marked('bundle-a')).toBe(false);
        // A checksum edited by hand
        await mark();
        await h.query(`update ${migrationsTable()} set checksum = 'v1:edited' where id = $1`, [second.id]);
        expect(await marked('bundle-a')).toBe(false);
        // A row deleted by hand
        await mark();
        await h.query(`delete from ${migrationsTable()} where id = $1`, [second.id]);
        expect(await marked('bundle-a')).toBe(false);
      });

      it('keeps one mark: marking another bundle replaces it', async () => {
        // Act
        await inSession(async (session) => {
          await session.markComplete('bundle-a');
          await session.markComplete('bundle-b');
        });

        // Assess
        expect(await marked('bundle-a')).toBe(false);
        expect(await marked('bundle-b')).toBe(true);
      });
    });

    describe('the drift baseline', () => {
      const drift = (): ReturnType<LedgerSession['readDrift']> => h.db.withReader((reader) => reader.readDrift());

      it('reports no baseline on a fresh database and on a new ledger, comparing nothing', async () => {
        // Act
        const fresh = await drift();
        const created = await inSession((session) => session.readDrift());

        // Assess
        expect(fresh).toEqual({ ledgerSchema: h.schema, baseline: false, stale: false, differences: [] });
        expect(created).toEqual({ ledgerSchema: h.schema, baseline: false, stale: false, differences: [] });
      });

      it('compares the live schema with the stored one, object by object, leaving out the ledger', async () => {
        // Prepare
        await h.query('create table contract_org (id int)');
        await inSession((session) => session.storeBaseline());
        const clean = await drift();
        // Act
        await h.query('alter table contract_org add column by_hand text');
        const changed = await drift();

        // Assess
        expect(clean).toMatchObject({ baseline: true, differences: [] });
        expect(changed.differences).toEqual([{ kind: 'column', name: 'public.contract_org.by_hand', change: 'added', expected: null, actual: 'text' }]);
      });

      it('stores only a missing or stale baseline when asked to', async () => {
        // Prepare
        await inSession((session) => session.storeBaseline());
        await h.query('create table contract_extra (id int)');
        // Act
        await inSession((session) => session.storeBaseline(true));

        // Assess
        expect((await drift()).differences.map((d) => d.name)).toEqual(['public.contract_extra.id', 'public.contract_extra']);
      });

      it('treats a baseline older than the ledger as stale, and an adoption keeps it current', async () => {
        // Prepare
        const applied = migration({ id: 'app/0001_a', sql: 'create table contract_a (id int);' });
        const adopted = migration({ id: 'app/0002_b', sql: 'create table contract_b (id int);' });
        await inSession((session) => session.storeBaseline());
        // Act
        await inSession(async (session) => {
          const runId = await session.startRun({ action: 'adopt', bundleId: 'b', actor: 't' });
          await session.adopt(recordRequest(adopted, { runId }));
        });
        const afterAdopt = await drift();
        await inSession(async (session) => {
          const runId = await session.startRun({ action: 'migrate', bundleId: 'b', actor: 't' });
          await session.apply(applyRequest(applied, { runId }));
        });
        const afterApply = await drift();

        // Assess
        expect(afterAdopt).toMatchObject({ baseline: true, stale: false });
        expect(rowOf(await ledgerRows(), adopted.id)?.method).toBe('adopted');
        expect(afterApply).toEqual({ ledgerSchema: h.schema, baseline: false, stale: true, differences: [] });
      });

      it('replaces the objects under a key, and refuses to patch a missing baseline', async () => {
        // Prepare
        await h.query('create table contract_t (id int, x int)');
        const missing = await inSession((session) => session.replaceBaselineObjects(['table\tpublic.contract_t'], []));
        await inSession((session) => session.storeBaseline());
        await h.query('alter table contract_t drop column x');
        // Act
        const objects = await inSession((session) => session.readSchemaObjects());
        const replaced = await inSession((session) => session.replaceBaselineObjects(['table\tpublic.contract_t'], objects.filter((o) => o.name.startsWith('public.contract_t'))));

        // Assess
        expect(missing).toBe(false);
        expect(replaced).toBe(true);
        expect((await drift()).differences).toEqual([]);
      });
    });

    describeRehearsalContract(() => h);
    describeCancelContract(() => h);
  });
}
