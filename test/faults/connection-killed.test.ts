/**
 * Faults, part 1: the database session is terminated (`pg_terminate_backend`)
 * at the worst moments: inside a migration, inside a no-transaction
 * migration, while the ledger row is written and while it commits. The
 * session is stopped at a known point by a lock the test holds (see
 * `blocker.ts`); the existing single-adapter cases are in
 * test/integration/postgres-adapter.test.ts ("a session that dies mid-migration").
 */
import { holdBlocker, type Blocker } from '../support/blocker';
import { failure } from '../support/failure';
import { createFaultDatabase, filesOf, LEDGER, step, type FaultDatabase } from '../support/faults';
import { createWorkspace, type Workspace } from '../support/workspace';

const NO_TRANSACTION = '-- stagegate:no-transaction\n';

describe('Faults: the database session is killed', () => {
  let fdb: FaultDatabase;
  let ws: Workspace;
  let blocker: Blocker;
  beforeEach(async () => {
    fdb = await createFaultDatabase();
    ws = createWorkspace();
    blocker = await holdBlocker(fdb.admin);
  });
  afterEach(async () => {
    await blocker.release();
    await fdb.drop();
    ws.remove();
  });

  /** Makes every write of `event` to the ledger wait for the blocker; `deferred` waits at COMMIT instead. */
  async function holdLedgerWrites(event: 'insert' | 'update', deferred = false): Promise<void> {
    // In the ledger schema, which drift detection leaves out: the test's instrument is not drift.
    await fdb.admin.query(`create function ${LEDGER}.fault_hold() returns trigger language plpgsql as $$ begin ${blocker.waitSql.replace('SELECT', 'PERFORM')} return new; end $$`);
    const timing = deferred ? `constraint trigger fault_hold after ${event}` : `trigger fault_hold before ${event}`;
    await fdb.admin.query(`create ${timing} on ${LEDGER}.migrations ${deferred ? 'deferrable initially deferred ' : ''}for each row execute function ${LEDGER}.fault_hold()`);
  }

  async function releaseLedgerWrites(): Promise<void> {
    await fdb.admin.query(`drop trigger fault_hold on ${LEDGER}.migrations`);
    await blocker.release();
  }

  it('mid-migration: the migration rolls back, earlier ones stay, the next run applies the rest', async () => {
    // Prepare
    const steps = [step(1), step(2, blocker.waitSql), step(3)];
    const folder = ws.migrations(filesOf(steps));
    // Act
    const running = failure(fdb.migrate(folder));
    await blocker.terminateWaiter();
    const error = await running;
    // Assess
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.details).toMatchObject({ migration: 'fault/0002_step', file: 'fault/0002_step.sql', line: 2, connectionLost: true, applied: [{ id: 'fault/0001_step' }] });
    expect(error.message).toContain('the connection to the database was lost');
    expect(error.remedy).toContain('before the migration committed, so the server rolls it back');
    await fdb.expectConsistent(steps);
    expect(await fdb.runs()).toEqual(['running']);
    await blocker.release();
    const rest = await fdb.expectFollowingRunCompletes(folder, steps);
    expect(rest.applied.map((a) => a.id)).toEqual(['fault/0002_step', 'fault/0003_step']);
    expect(await fdb.runs()).toEqual(['abandoned', 'succeeded']);
  });

  it('mid no-transaction migration: the row stays running, runs refuse until a human resolves it', async () => {
    // Prepare: the index is never built; the table is
    const dirty = { ...step(2, `${blocker.waitSql}\nCREATE INDEX CONCURRENTLY fault_0002_idx ON fault_0002 (id);`, NO_TRANSACTION), objects: ['fault_0002', 'fault_0002_idx'] };
    const steps = [step(1), dirty, step(3)];
    const folder = ws.migrations(filesOf(steps));
    // Act
    const running = failure(fdb.migrate(folder));
    await blocker.terminateWaiter();
    const error = await running;
    const refused = await failure(fdb.migrate(folder));
    // Assess
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.details).toMatchObject({ migration: dirty.id, line: 3, connectionLost: true });
    expect(error.remedy).toContain(`stagegate resolve ${dirty.id} --rolled-back`);
    expect(refused.code).toBe('MIGRATION_DIRTY');
    expect(refused.message).toContain(`${dirty.id} (${dirty.id}.sql) was interrupted`);
    await fdb.expectConsistent(steps, { [dirty.id]: 'running' });
    expect(await fdb.admin.query("select to_regclass('fault_0002')::text as t, to_regclass('fault_0002_idx')::text as i")).toEqual([{ t: 'fault_0002', i: null }]);

    // Act: the human undoes the partial effect and settles the row, as the remedy says
    await fdb.admin.query('drop table fault_0002');
    const resolved = await fdb.cli(['resolve', dirty.id, '--rolled-back'], ws.dir);
    await blocker.release();
    // Assess
    expect(resolved.code).toBe(0);
    await fdb.expectFollowingRunCompletes(folder, steps);
  });

  it('while the ledger row is inserted: the migration and its row roll back together', async () => {
    // Prepare
    const steps = [step(1), step(2), step(3)];
    const folder = ws.migrations(filesOf(steps));
    await fdb.migrate(ws.migrations(filesOf(steps.slice(0, 1))));
    await holdLedgerWrites('insert');
    ws.migrations(filesOf(steps));
    // Act
    const running = failure(fdb.migrate(folder));
    await blocker.terminateWaiter();
    const error = await running;
    // Assess
    expect(error.code).toBe('DATABASE_ERROR');
    expect(error.message).toContain('writing the ledger row of fault/0002_step: the connection to the database was lost');
    expect(error.details).toMatchObject({ connectionLost: true });
    expect(error.remedy).toContain('a migration commits together with its ledger row or not at all');
    await fdb.expectConsistent(steps);
    await releaseLedgerWrites();
    await fdb.expectFollowingRunCompletes(folder, steps);
  });

  it('while the transaction commits: nothing of the migration is kept, and the message says the outcome is atomic', async () => {
    // Prepare
    const steps = [step(1), step(2), step(3)];
    const folder = ws.migrations(filesOf(steps.slice(0, 1)));
    await fdb.migrate(folder);
    await holdLedgerWrites('insert', true);
    ws.migrations(filesOf(steps));
    // Act
    const running = failure(fdb.migrate(folder));
    await blocker.terminateWaiter();
    const error = await running;
    // Assess
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.details).toMatchObject({ migration: 'fault/0002_step', statement: 'COMMIT', connectionLost: true });
    expect(error.remedy).toContain('committed together or not at all');
    await fdb.expectConsistent(steps);
    await releaseLedgerWrites();
    await fdb.expectFollowingRunCompletes(folder, steps);
  });

  it('while a finished no-transaction migration is marked applied: the row stays running until resolved as applied', async () => {
    // Prepare
    const built = { ...step(2, 'CREATE INDEX CONCURRENTLY fault_0002_idx ON fault_0002 (id);', NO_TRANSACTION), objects: ['fault_0002', 'fault_0002_idx'] };
    const steps = [step(1), built, step(3)];
    const folder = ws.migrations(filesOf(steps.slice(0, 1)));
    await fdb.migrate(folder);
    await holdLedgerWrites('update');
    ws.migrations(filesOf(steps));
    // Act
    const running = failure(fdb.migrate(folder));
    await blocker.terminateWaiter();
    const error = await running;
    const refused = await failure(fdb.migrate(folder));
    // Assess
    expect(error.code).toBe('DATABASE_ERROR');
    expect(error.message).toContain(`marking ${built.id} applied`);
    expect(refused.code).toBe('MIGRATION_DIRTY');
    expect(refused.remedy).toContain(`stagegate resolve ${built.id} --applied`);
    await fdb.expectConsistent(steps, { [built.id]: 'running' });
    const [index] = await fdb.admin.query<{ valid: boolean }>("select indisvalid as valid from pg_index where indexrelid = 'fault_0002_idx'::regclass");
    expect(index?.valid).toBe(true);

    // Act: every statement took effect, so the human settles it as applied
    await releaseLedgerWrites();
    const resolved = await fdb.cli(['resolve', built.id, '--applied'], ws.dir);
    // Assess
    expect(resolved.code).toBe(0);
    const rest = await fdb.expectFollowingRunCompletes(folder, steps);
    expect(rest.applied.map((a) => a.id)).toEqual(['fault/0003_step']);
  });
});
