/**
 * Faults, part 2: migrations that fail on their own (a broken statement) or
 * are stopped by a limit (`lock_timeout`, `statement_timeout`, the deadline).
 * The deadline between migrations and a transactional migration cut by it
 * are in test/integration/migrate.test.ts; here the deadline cuts a
 * no-transaction migration, which needs a human.
 */
import type pg from 'pg';
import { failure } from '../support/failure';
import { createFaultDatabase, filesOf, step, type FaultDatabase } from '../support/faults';
import { createWorkspace, type Workspace } from '../support/workspace';

describe('Faults: a migration fails or hits a limit', () => {
  let fdb: FaultDatabase;
  let ws: Workspace;
  beforeEach(async () => {
    fdb = await createFaultDatabase();
    ws = createWorkspace();
  });
  afterEach(async () => {
    await fdb.drop();
    ws.remove();
  });

  it('fails in the middle of ten, keeps the four before it, and a fixed bundle applies the other six', async () => {
    // Prepare: the fifth changes the data table, then fails
    const steps = Array.from({ length: 10 }, (_, i) => step(i + 1));
    const broken = { ...steps[4]!, sql: `${steps[4]!.sql}UPDATE customer SET balance = balance + 1;\nSELECT nope FROM customer;` };
    const folder = ws.migrations(filesOf([...steps.slice(0, 4), broken, ...steps.slice(5)]));
    // Act
    const error = await failure(fdb.migrate(folder));
    // Assess
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.details).toMatchObject({ migration: 'fault/0005_step', file: 'fault/0005_step.sql', line: 3, sqlstate: '42703' });
    expect((error.details.applied as { id: string }[]).map((a) => a.id)).toEqual(steps.slice(0, 4).map((s) => s.id));
    await fdb.expectConsistent(steps);
    expect(await fdb.runs()).toEqual(['failed']);

    // Act: fix the migration and run again
    ws.migrations(filesOf(steps));
    const rerun = await fdb.expectFollowingRunCompletes(folder, steps);
    // Assess
    expect(rerun.applied.map((a) => a.id)).toEqual(steps.slice(4).map((s) => s.id));
    expect(await fdb.runs()).toEqual(['failed', 'succeeded']);
  });

  it('gives up on a table a live transaction holds, with SQLSTATE 55P03 naming the migration, and rolls it back', async () => {
    // Prepare: a reader keeps its transaction open on the data table
    const constraint = { id: 'fault/0002_balance', sql: 'ALTER TABLE customer ADD CONSTRAINT fault_balance CHECK (balance >= 0);', objects: ['fault_balance'] };
    const steps = [step(1), constraint];
    const folder = ws.migrations(filesOf(steps));
    const reader: pg.Client = await fdb.admin.connect();
    await reader.query('begin');
    await reader.query('select count(*) from customer');
    // Act
    const started = Date.now();
    const error = await failure(fdb.migrate(folder, {}, { lockTimeoutMs: 300 }));
    const waited = Date.now() - started;
    await reader.query('commit');
    await reader.end();
    // Assess
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.details).toMatchObject({ migration: constraint.id, file: `${constraint.id}.sql`, line: 1, sqlstate: '55P03' });
    expect(error.message).toContain(`Migration ${constraint.id} failed`);
    expect(error.remedy).toContain('lock_timeout');
    expect(error.remedy).toContain('rolled back');
    expect(waited).toBeLessThan(5_000);
    await fdb.expectConsistent(steps);
    await fdb.expectFollowingRunCompletes(folder, steps);
  });

  it('cancels a statement over statement_timeout with SQLSTATE 57014 and rolls the migration back', async () => {
    // Prepare
    const steps = [step(1), step(2, 'SELECT pg_sleep(0.6);')];
    const folder = ws.migrations(filesOf(steps));
    // Act
    const error = await failure(fdb.migrate(folder, {}, { statementTimeoutMs: 100 }));
    // Assess
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.details).toMatchObject({ migration: 'fault/0002_step', line: 2, sqlstate: '57014' });
    expect(error.remedy).toContain('statement_timeout');
    await fdb.expectConsistent(steps);
    await fdb.expectFollowingRunCompletes(folder, steps);
  });

  it('marks a no-transaction migration cut by the deadline failed, and refuses until a human resolves it', async () => {
    // Prepare: the deadline caps statement_timeout; a no-transaction migration cannot roll back
    const cut = step(2, 'SELECT pg_sleep(1.2);', '-- stagegate:no-transaction\n');
    const steps = [step(1), cut];
    const folder = ws.migrations(filesOf(steps));
    // Act
    const error = await failure(fdb.migrate(folder, { deadline: Date.now() + 600, safetyMarginMs: 0 }));
    const refused = await failure(fdb.migrate(folder));
    // Assess
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.details).toMatchObject({ migration: cut.id, line: 3, sqlstate: '57014' });
    expect(error.remedy).toContain(`stagegate resolve ${cut.id} --rolled-back`);
    expect(refused.code).toBe('MIGRATION_DIRTY');
    expect(refused.message).toContain(`${cut.id} (${cut.id}.sql) failed`);
    await fdb.expectConsistent(steps, { [cut.id]: 'failed' });

    // Act: undo the part that ran, settle the row, run again with time enough
    await fdb.admin.query('drop table fault_0002');
    expect((await fdb.cli(['resolve', cut.id, '--rolled-back'], ws.dir)).code).toBe(0);
    // Assess
    await fdb.expectFollowingRunCompletes(folder, steps);
  });
});
