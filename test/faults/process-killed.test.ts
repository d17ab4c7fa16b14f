/**
 * Faults, part 3: the process running migrations dies (SIGKILL, as when
 * Lambda stops a function at its timeout), many processes race, and the
 * server goes away. Every run here is the built CLI in a process of its own.
 */
import { join } from 'node:path';
import { LOCK_CLASS_ID } from '../../lib/adapters/postgres';
import { holdBlocker, type Blocker } from '../support/blocker';
import { createFaultDatabase, filesOf, step, type FaultDatabase } from '../support/faults';
import { startOwnPostgres, type OwnPostgres } from '../support/own-postgres';
import { cliJson, createWorkspace, type ProcessResult, type Workspace } from '../support/workspace';

/** Polls `probe` every 50 ms until it is true; false after `ms`. */
async function eventually(probe: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (await probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return probe();
}

describe('Faults: the migrating process dies, races or loses its server', () => {
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

  // A ledger lock in this scenario's database: pg_locks is the whole server's, and other test files take ledger locks too.
  const lockHeld = async (): Promise<boolean> =>
    (
      await fdb.admin.query(
        `select 1 from pg_locks where locktype = 'advisory' and classid = $1::oid and objsubid = 2
            and database = (select oid from pg_database where datname = current_database())`,
        [String(LOCK_CLASS_ID >>> 0)],
      )
    ).length > 0;
  const backendAlive = async (pid: number): Promise<boolean> => (await fdb.admin.query('select 1 from pg_stat_activity where pid = $1', [pid])).length > 0;

  it('SIGKILL mid-migration: Postgres ends the session within seconds, frees the lock, and the next run proceeds', async () => {
    // Prepare
    const steps = [step(1), step(2, blocker.waitSql), step(3)];
    ws.migrations(filesOf(steps));
    const killed = fdb.startCli(['migrate', '--json'], ws.dir);
    const backend = await blocker.waiter();
    // Act: the blocker is still held, so only the server noticing the dead client can end the session
    killed.child.kill('SIGKILL');
    const outcome = await killed.done;
    const freed = await eventually(async () => !(await backendAlive(backend)) && !(await lockHeld()), 5_000);
    // Assess
    expect(outcome.code).toBeNull();
    expect(freed).toBe(true);
    await fdb.expectConsistent(steps);
    expect(await fdb.runs()).toEqual(['running']);
    await blocker.release();
    const next = await fdb.cli(['migrate', '--json', '--lock-wait', '5s'], ws.dir);
    expect([next.code, cliJson(next.stdout).applied.map((a: { id: string }) => a.id)]).toEqual([0, ['fault/0002_step', 'fault/0003_step']]);
    expect(await fdb.runs()).toEqual(['abandoned', 'succeeded']);
    await fdb.expectFollowingRunCompletes(join(ws.dir, 'migrations'), steps);
  });

  it('SIGKILL during CREATE INDEX CONCURRENTLY: the invalid index is left, the row says running, and the remedy works', async () => {
    // Prepare: a writer keeps a transaction open, so the index build waits for it
    const index = { id: 'fault/0002_index', sql: '-- stagegate:no-transaction\nCREATE INDEX CONCURRENTLY fault_name ON customer (name);', objects: ['fault_name'] };
    const steps = [step(1), index, step(3)];
    const folder = ws.migrations(filesOf(steps));
    const writer = await fdb.admin.connect();
    await writer.query('begin');
    await writer.query('lock table customer in row exclusive mode');
    const killed = fdb.startCli(['migrate'], ws.dir);
    const waiting = await eventually(
      async () => (await fdb.admin.query("select 1 from pg_stat_activity where query like 'CREATE INDEX CONCURRENTLY%' and wait_event_type = 'Lock'")).length > 0,
      10_000,
    );
    // Act
    killed.child.kill('SIGKILL');
    await killed.done;
    const freed = await eventually(async () => !(await lockHeld()), 5_000);
    await writer.query('rollback');
    await writer.end();
    const refused = await fdb.cli(['migrate', '--json'], ws.dir);
    // Assess
    expect([waiting, freed]).toEqual([true, true]);
    expect(await fdb.admin.query("select indisvalid as valid from pg_index where indexrelid = 'fault_name'::regclass")).toEqual([{ valid: false }]);
    expect([refused.code, cliJson(refused.stdout).error.code]).toEqual([1, 'MIGRATION_DIRTY']);
    expect(cliJson(refused.stdout).error.remedy).toContain('INVALID index');
    await fdb.expectConsistent(steps, { [index.id]: 'running' });

    // Act: the human drops the invalid index and settles the row
    await fdb.admin.query('drop index fault_name');
    expect((await fdb.cli(['resolve', index.id, '--rolled-back'], ws.dir)).code).toBe(0);
    // Assess
    await fdb.expectFollowingRunCompletes(folder, steps);
    expect(await fdb.admin.query("select indisvalid as valid from pg_index where indexrelid = 'fault_name'::regclass")).toEqual([{ valid: true }]);
  });

  it('20 concurrent runs of one bundle: each migration applied once, every run succeeds or says LOCK_TIMEOUT', async () => {
    // Prepare
    // The winner needs about 2 s and the others wait 1 s at most; started 100 ms apart, the first ones give up, the last ones find it done
    const steps = Array.from({ length: 10 }, (_, i) => step(i + 1, 'SELECT pg_sleep(0.2);'));
    const folder = ws.migrations(filesOf(steps));
    const launch = (i: number): Promise<ProcessResult> =>
      new Promise((resolve) => setTimeout(resolve, i * 100)).then(() => fdb.cli(['migrate', '--json', '--lock-wait', '1s'], ws.dir));
    // Act
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => launch(i)));
    // Assess
    const results = outcomes.map((o) => ({ code: o.code, out: cliJson(o.stdout) }));
    expect(results.filter(({ out }) => out.status === 'applied')).toHaveLength(1);
    for (const { code, out } of results) {
      if (code === 0) expect(['applied', 'up-to-date']).toContain(out.status);
      else expect([code, out.error.code]).toEqual([1, 'LOCK_TIMEOUT']);
    }
    const applied = results.flatMap(({ out }) => (out.ok ? out.applied.map((a: { id: string }) => a.id) : []));
    expect(applied.sort()).toEqual(steps.map((s) => s.id));
    expect(await fdb.runs()).toEqual(['succeeded']);
    await fdb.expectFollowingRunCompletes(folder, steps);
  });

  it('refuses a wrong password full of special characters without printing either password', async () => {
    // Prepare
    ws.migrations(filesOf([step(1)]));
    const url = new URL(fdb.url);
    url.password = encodeURIComponent(`${fdb.password} but wrong`);
    // Act
    const refused = await fdb.cli(['migrate', '--json', '--verbose'], ws.dir, { DATABASE_URL: url.toString() });
    // Assess
    expect([refused.code, cliJson(refused.stdout).error.code]).toEqual([1, 'DATABASE_AUTH_FAILED']);
    expect(refused.stdout + refused.stderr).not.toContain('but wrong');
    expect(await fdb.ledger()).toEqual([]);
    await fdb.expectConsistent([step(1)]);
  });
});

describe('Faults: the server restarts during a run', () => {
  let server: OwnPostgres;
  let fdb: FaultDatabase;
  let ws: Workspace;
  beforeAll(async () => {
    server = await startOwnPostgres();
    fdb = await createFaultDatabase(server.url);
    ws = createWorkspace();
  });
  afterAll(async () => {
    await fdb.drop();
    await server.stop();
    ws.remove();
  });

  it('fails the run, refuses to connect while it is down, and the next run after it is back applies the rest', async () => {
    // Prepare
    const blocker = await holdBlocker(fdb.admin);
    const steps = [step(1), step(2, blocker.waitSql), step(3)];
    const folder = ws.migrations(filesOf(steps));
    const cut = fdb.startCli(['migrate', '--json'], ws.dir);
    await blocker.waiter();
    // Act
    await server.down();
    const interrupted = await cut.done;
    const whileDown = await fdb.cli(['migrate', '--json'], ws.dir);
    await server.up();
    await blocker.release();
    // Assess
    expect([interrupted.code, cliJson(interrupted.stdout).error]).toEqual([1, expect.objectContaining({ code: 'MIGRATION_FAILED', migration: 'fault/0002_step', sqlstate: '57P01', connectionLost: true })]);
    expect([whileDown.code, cliJson(whileDown.stdout).error.code]).toEqual([1, 'DATABASE_UNREACHABLE']);
    await fdb.expectConsistent(steps);
    await fdb.expectFollowingRunCompletes(folder, steps);
  });
});
