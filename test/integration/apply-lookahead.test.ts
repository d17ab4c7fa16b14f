/**
 * A run sends the next transactional migration while the previous one still
 * runs (see `runSteps`). These runs prove what that must not change: a
 * failure is the failing migration's, the one sent behind it never commits
 * and is never reported, a `no-transaction` migration between them still
 * runs, and a deadline still stops the run cleanly.
 */
import { PgMigrationDatabase } from '../../lib/adapters/postgres';
import type { RunResult } from '../../lib/core/result';
import { batchingProxy, committedAndFailedTogether } from '../support/batching-proxy';
import { applyRequest, migration } from '../support/builders';
import { useTestDatabase, type TestDatabase } from '../support/database';
import { failure } from '../support/failure';
import { MemoryLogger, runOnFolder, useWorkspace } from '../support/workspace';

const ledgerIds = async (db: TestDatabase): Promise<string[]> =>
  (await db.query<{ id: string }>("select id from stagegate.migrations where state = 'applied' order by id")).map((r) => r.id);

const existing = async (db: TestDatabase, names: string[]): Promise<string[]> =>
  (await db.query<{ name: string }>('select name from unnest($1::text[]) as name where to_regclass(name) is not null order by name', [names])).map((r) => r.name);

const runOutcomes = async (db: TestDatabase): Promise<string[]> =>
  (await db.query<{ outcome: string }>('select outcome from stagegate.runs order by id')).map((r) => r.outcome);

/** Four migrations, each creating its table; the second one is `second`. */
const fourWith = (second: string): Record<string, string> => ({
  'app/0001_one.sql': 'CREATE TABLE one (id int);',
  'app/0002_two.sql': second,
  'app/0003_three.sql': 'CREATE TABLE three (id int);\nCREATE INDEX three_id ON three (id);',
  'app/0004_four.sql': 'CREATE TABLE four (id int);',
});

const startedIds = (logger: MemoryLogger): unknown[] => logger.events.filter((e) => e.event === 'migration.started').map((e) => e.data.id);

describe('Integration: the next migration sent while the previous one runs', () => {
  const db = useTestDatabase();
  const ws = useWorkspace();

  /** `url`: where the failing run connects (the runs after it connect directly). */
  async function expectStoppedAtTwo(second: string, fields: Record<string, unknown>, url = db.url): Promise<void> {
    // Prepare
    const logger = new MemoryLogger();

    // Act
    const error = await failure(runOnFolder(ws.migrations(fourWith(second)), url, { action: 'migrate' }, { logger }));

    // Assess: the error is the second migration's; the third, sent behind it, neither committed nor shows anywhere.
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.details).toMatchObject({ migration: 'app/0002_two', file: 'app/0002_two.sql', ...fields });
    expect((error.details.applied as Array<{ id: string }>).map((a) => a.id)).toEqual(['app/0001_one']);
    expect(await ledgerIds(db)).toEqual(['app/0001_one']);
    expect(await existing(db, ['one', 'two', 'three', 'four'])).toEqual(['one']);
    expect(startedIds(logger)).toEqual(['app/0001_one', 'app/0002_two']);
    expect(logger.events.filter((e) => e.event !== 'plan.ready' && JSON.stringify(e.data).includes('0003_three'))).toEqual([]);
    expect(logger.events.filter((e) => e.level === 'error').map((e) => [e.event, e.data.code])).toEqual([['run.failed', 'MIGRATION_FAILED']]);
    const [run] = await db.query<{ outcome: string; applied: string[]; error: { code: string; migration: string } }>('select outcome, applied, error from stagegate.runs');
    expect(run).toMatchObject({ outcome: 'failed', applied: ['app/0001_one'], error: { code: 'MIGRATION_FAILED', migration: 'app/0002_two' } });

    // Act: the second migration fixed
    const next = await runOnFolder(ws.migrations(fourWith('CREATE TABLE two (id int);')), db.url, { action: 'migrate' });

    // Assess
    expect(next.applied.map((a) => a.id)).toEqual(['app/0002_two', 'app/0003_three', 'app/0004_four']);
    expect(await existing(db, ['one', 'two', 'three', 'four'])).toEqual(['four', 'one', 'three', 'two']);
    expect(await runOutcomes(db)).toEqual(['failed', 'succeeded']);

    // Act: one more; the baseline stored after the last run was restamped for every table it created
    const fifth = await runOnFolder(ws.migrations({ ...fourWith('CREATE TABLE two (id int);'), 'app/0005_five.sql': 'CREATE TABLE five (id int);' }), db.url, { action: 'migrate' });

    // Assess
    expect(fifth.applied.map((a) => a.id)).toEqual(['app/0005_five']);
    expect(fifth.drift).toBeUndefined();
  }

  const failingStatement = 'CREATE TABLE two (id int);\nINSERT INTO no_such_table VALUES (1);';
  const failingStatementFields = {
    line: 2,
    sqlstate: '42P01',
    // The facts are read behind the third migration's messages, as the database was before the second one.
    facts: { relation: null, elsewhere: [] },
    explanation: { object: 'relation no_such_table' },
  };
  const deferredFailure = [
    'CREATE TABLE two (id int PRIMARY KEY);',
    'CREATE TABLE two_child (parent int REFERENCES two DEFERRABLE INITIALLY DEFERRED);',
    'INSERT INTO two_child VALUES (1);',
  ].join('\n');

  it('stops at a migration whose statement fails: the one sent behind it never commits and is never reported', async () => {
    await expectStoppedAtTwo(failingStatement, failingStatementFields);
  });

  it('stops at a migration whose COMMIT fails on a deferred constraint, with the next one sent behind it', async () => {
    await expectStoppedAtTwo(deferredFailure, { statement: 'COMMIT', sqlstate: '23503' });
  });

  // Through a proxy that holds the server's bytes until it is quiet for 50 ms: the first migration's COMMIT, the second's error
  // and the third's refusal reach the client in one read, and are settled in the order they were sent.
  it.each([
    ['a statement', failingStatement, failingStatementFields, '42P01'],
    ['its COMMIT', deferredFailure, { statement: 'COMMIT', sqlstate: '23503' }, '23503'],
  ])('stops the same way when the failure at %s arrives in one read with the previous COMMIT', async (_at, second, fields, sqlstate) => {
    const proxy = await batchingProxy(db.url, 50);
    try {
      await expectStoppedAtTwo(second, fields, proxy.url);
      expect(committedAndFailedTogether(proxy.deliveries, sqlstate)).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('runs a no-transaction migration between transactional ones, each in its turn', async () => {
    // Prepare
    const folder = ws.migrations(fourWith('-- stagegate:no-transaction\nCREATE INDEX CONCURRENTLY one_id ON one (id);'));

    // Act
    const result = await runOnFolder(folder, db.url, { action: 'migrate' });

    // Assess: CREATE INDEX CONCURRENTLY cannot run inside a transaction, so nothing was open around it.
    expect(result.applied.map((a) => a.id)).toEqual(['app/0001_one', 'app/0002_two', 'app/0003_three', 'app/0004_four']);
    expect(await ledgerIds(db)).toEqual(['app/0001_one', 'app/0002_two', 'app/0003_three', 'app/0004_four']);
    expect(await existing(db, ['one_id', 'three_id', 'four'])).toEqual(['four', 'one_id', 'three_id']);
  });

  it('finishes a migration already sent when the deadline comes, then stops cleanly before the next', async () => {
    // Prepare: a minute left and 1 s statement timeouts, so the next migration is sent ahead; after the second, time is up.
    let skew = 0;
    const clock = { now: () => Date.now() + skew };
    const logger = new MemoryLogger();
    const info = logger.info.bind(logger);
    logger.info = (event, data) => {
      if (event === 'migration.applied' && data?.id === 'app/0002_two') skew = 60_000;
      info(event, data);
    };
    const folder = ws.migrations(fourWith('CREATE TABLE two (id int);'));
    const settings = { statementTimeoutMs: 1_000, lockTimeoutMs: 500 };

    // Act
    const partial: RunResult = await runOnFolder(folder, db.url, { action: 'migrate', deadline: Date.now() + 60_000, safetyMarginMs: 0 }, { clock, logger, settings });
    const rest = await runOnFolder(folder, db.url, { action: 'migrate' });

    // Assess: the third was on the wire when time ran out: it committed and is reported applied; the fourth waits.
    expect(partial).toMatchObject({ status: 'incomplete', pending: ['app/0004_four'] });
    expect(partial.applied.map((a) => a.id)).toEqual(['app/0001_one', 'app/0002_two', 'app/0003_three']);
    expect(logger.events.find((e) => e.event === 'run.stopped')?.data).toMatchObject({ reason: 'deadline', next: 'app/0004_four', pending: 1 });
    expect(rest.applied.map((a) => a.id)).toEqual(['app/0004_four']);
    expect(await runOutcomes(db)).toEqual(['incomplete', 'succeeded']);
  });
});

describe('Integration: a session asked for a migration before the previous one settled', () => {
  const db = useTestDatabase();

  /** Asks for both at once; returns whether each committed. */
  async function bothAtOnce(firstSql: string, secondSql: string): Promise<[boolean, boolean]> {
    const adapter = new PgMigrationDatabase({ connectionString: db.url, lockPollMs: 20 });
    return adapter.withLock({ waitMs: 1_000 }, async (session) => {
      const first = session.apply(applyRequest(migration({ id: 'app/0001_first', sql: firstSql })));
      const second = session.apply(applyRequest(migration({ id: 'app/0002_second', sql: secondSql })));
      const settled = await Promise.allSettled([first, second]);
      return settled.map((s) => s.status === 'fulfilled') as [boolean, boolean];
    });
  }

  // Controlling the transaction, it cannot be pipelined: it waits for the first one to settle.
  const controlling = 'CREATE TABLE second_a (id int);\nCOMMIT;\nBEGIN;\nCREATE TABLE second_b (id int);';

  it('runs one that cannot be pipelined after the one before it committed', async () => {
    // Act
    const committed = await bothAtOnce('CREATE TABLE first (id int);', controlling);

    // Assess
    expect(committed).toEqual([true, true]);
    expect(await existing(db, ['first', 'second_a', 'second_b'])).toEqual(['first', 'second_a', 'second_b']);
  });

  it('runs nothing of one that cannot be pipelined when the one before it failed', async () => {
    // Act
    const committed = await bothAtOnce('CREATE TABLE first (id int);\nSELECT 1 / 0;', controlling);

    // Assess
    expect(committed).toEqual([false, false]);
    expect(await existing(db, ['first', 'second_a', 'second_b'])).toEqual([]);
    expect(await ledgerIds(db)).toEqual([]);
  });
});
