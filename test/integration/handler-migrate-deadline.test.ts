/**
 * The migrate function answers before its deadline even when a migration of
 * many short statements (each under the capped `statement_timeout`, together
 * longer than the time left) still runs: it is cancelled at the deadline.
 */
import { handler } from '../../handlers/migrate';
import { useHandlerHarness } from '../support/handler-harness';
import { lambdaContext, TEST_FUNCTION_NAME } from '../support/lambda-context';
import { failed, invoke, publishMigrations, succeeded } from '../support/lambda-invoke';

const BUCKET = 'stagegate-cancel';
/** 3.2 s in eight statements of 0.4 s: each fits the 1.5 s usable of a 2 s budget with a 0.5 s margin, together they do not. */
const MANY = Array(8).fill('SELECT pg_sleep(0.4);').join('\n');

describe('Integration: the migrate handler cancels a migration still running at its deadline', () => {
  const harness = useHandlerHarness(BUCKET, { STAGEGATE_SAFETY_MARGIN_MS: '500' });

  const rows = (): Promise<Array<{ id: string; state: string }>> => harness.db.query('select id, state from stagegate.migrations order by id');
  const runs = async (): Promise<string[]> => (await harness.db.query<{ outcome: string }>('select outcome from stagegate.runs order by id')).map((r) => r.outcome);
  const exists = async (name: string): Promise<boolean> => (await harness.db.query<{ t: string | null }>('select to_regclass($1)::text as t', [name]))[0]?.t !== null;

  it('answers incomplete before the deadline when a later migration is cut, rolls it back, and the next invocation applies it', async () => {
    // Prepare
    const { ref } = await publishMigrations(harness.s3.client, BUCKET, { 'app/0001_first.sql': 'CREATE TABLE first (id int);', 'app/0002_many.sql': `CREATE TABLE many (id int);\n${MANY}` });
    succeeded(await invoke(handler, { action: 'plan', bundle: ref })); // warms the bundle cache and the clients
    const context = lambdaContext({ remainingMs: 2_000 });
    // Act
    const cut = succeeded(await invoke(handler, { action: 'migrate', bundle: ref }, context));
    const left = context.getRemainingTimeInMillis();
    const afterCut = { rows: await rows(), runs: await runs(), many: await exists('many') };
    const rest = succeeded(await invoke(handler, { action: 'migrate', bundle: ref }, lambdaContext({ remainingMs: 60_000 })));
    // Assess
    expect(left).toBeGreaterThan(0);
    expect(cut).toMatchObject({ status: 'incomplete', pending: ['app/0002_many'] });
    expect(cut.applied.map((a) => a.id)).toEqual(['app/0001_first']);
    expect(harness.output.records().find((r) => r.message === 'run.stopped')).toMatchObject({ level: 'WARN', reason: 'deadline', next: 'app/0002_many', cancelled: true, rolledBack: true });
    expect(afterCut).toEqual({ rows: [{ id: 'app/0001_first', state: 'applied' }], runs: ['incomplete'], many: false });
    expect(rest).toMatchObject({ status: 'applied', pending: [] });
    expect(rest.applied.map((a) => a.id)).toEqual(['app/0002_many']);
    expect(await rows()).toEqual([{ id: 'app/0001_first', state: 'applied' }, { id: 'app/0002_many', state: 'applied' }]);
    expect(await runs()).toEqual(['incomplete', 'succeeded']);
  });

  it('fails the first migration of a run that cannot fit, naming it, the function and the stage, before the deadline', async () => {
    // Prepare
    const { ref } = await publishMigrations(harness.s3.client, BUCKET, { 'app/0001_many.sql': `CREATE TABLE many (id int);\n${MANY}` });
    succeeded(await invoke(handler, { action: 'plan', bundle: ref }));
    const context = lambdaContext({ remainingMs: 2_000 });
    // Act
    const error = failed(await invoke(handler, { action: 'migrate', bundle: ref }, context));
    const left = context.getRemainingTimeInMillis();
    const afterCut = { rows: await rows(), runs: await runs(), many: await exists('many') };
    const rest = succeeded(await invoke(handler, { action: 'migrate', bundle: ref }, lambdaContext({ remainingMs: 60_000 })));
    // Assess
    expect(left).toBeGreaterThan(0);
    expect(error.errorType).toBe('MIGRATION_FAILED');
    expect(error.error.message).toMatch(new RegExp(`^Migration app/0001_many \\(app/0001_many\\.sql\\) was cancelled at the deadline of function ${TEST_FUNCTION_NAME} \\(stage test\\) after \\d+ ms`));
    expect(error.error.remedy).toContain('rolled back and left no trace');
    expect(error.error.remedy).toContain('`stagegate migrate --stage test`');
    expect(error.error.remedy).toMatch(/split it.*15 min/);
    expect(error.error.details).toMatchObject({ sqlstate: '57014', deadline: { by: 'cancel', stage: 'test' } });
    expect(afterCut).toEqual({ rows: [], runs: ['failed'], many: false });
    expect(rest.applied.map((a) => a.id)).toEqual(['app/0001_many']);
    expect(await runs()).toEqual(['failed', 'succeeded']);
  });

  it('cuts a no-transaction migration at the deadline, says what stayed, and leaves its row failed for resolve', async () => {
    // Prepare
    const noTransaction = `-- stagegate:no-transaction\nCREATE TABLE kept (id int);\n${MANY}\nCREATE TABLE never (id int);`;
    const { ref } = await publishMigrations(harness.s3.client, BUCKET, { 'app/0001_first.sql': 'CREATE TABLE first (id int);', 'app/0002_bulk.sql': noTransaction });
    succeeded(await invoke(handler, { action: 'plan', bundle: ref }));
    const context = lambdaContext({ remainingMs: 2_000 });
    // Act
    const error = failed(await invoke(handler, { action: 'migrate', bundle: ref }, context));
    const left = context.getRemainingTimeInMillis();
    const next = failed(await invoke(handler, { action: 'migrate', bundle: ref }, lambdaContext({ remainingMs: 60_000 })));
    // Assess
    expect(left).toBeGreaterThan(0);
    expect(error.errorType).toBe('MIGRATION_FAILED');
    expect(error.error.message).toContain('Migration app/0002_bulk (app/0002_bulk.sql) was cancelled at the deadline');
    expect(error.error.remedy).toMatch(/statements before app\/0002_bulk\.sql:\d+ took effect and stay/);
    expect(error.error.remedy).toContain('stagegate resolve app/0002_bulk');
    expect(await rows()).toEqual([{ id: 'app/0001_first', state: 'applied' }, { id: 'app/0002_bulk', state: 'failed' }]);
    expect(await runs()).toEqual(['failed', 'failed']);
    expect([await exists('kept'), await exists('never')]).toEqual([true, false]);
    expect(next.errorType).toBe('MIGRATION_DIRTY');
  });

  it('sends no statement of a no-transaction migration of many short ones past the deadline: a cancel between two of them cut nothing', async () => {
    // Prepare: 100,000 statements of almost nothing; the server is idle between them, where it ignores a cancel
    const tiny = `-- stagegate:no-transaction\n${Array(100_000).fill('SELECT 1;').join('\n')}`;
    const { ref } = await publishMigrations(harness.s3.client, BUCKET, { 'app/0001_first.sql': 'CREATE TABLE first (id int);', 'app/0002_tiny.sql': tiny });
    succeeded(await invoke(handler, { action: 'plan', bundle: ref }));
    const context = lambdaContext({ remainingMs: 2_000 });
    // Act
    const error = failed(await invoke(handler, { action: 'migrate', bundle: ref }, context));
    const left = context.getRemainingTimeInMillis();
    // Assess: cut at the deadline (not run to its end past it), and recorded as such
    expect(left).toBeGreaterThan(0);
    expect(error.errorType).toBe('MIGRATION_FAILED');
    expect(error.error.details).toMatchObject({ migration: 'app/0002_tiny', sqlstate: '57014', deadline: { by: 'cancel' } });
    expect(await rows()).toEqual([{ id: 'app/0001_first', state: 'applied' }, { id: 'app/0002_tiny', state: 'failed' }]);
  }, 60_000);

  it('does not let the deadline cut the ledger write of a no-transaction migration that ran to its end', async () => {
    // Prepare: 0001 applied; then a trigger makes marking a row applied take 1.5 s, so the deadline passes during that write
    const { ref } = await publishMigrations(harness.s3.client, BUCKET, { 'app/0001_first.sql': 'CREATE TABLE first (id int);', 'app/0002_quick.sql': '-- stagegate:no-transaction\nCREATE TABLE quick (id int);' });
    succeeded(await invoke(handler, { action: 'migrate', bundle: ref, target: 'app/0001_first' }, lambdaContext({ remainingMs: 60_000 })));
    await harness.db.query(`create function stagegate.slow_ledger() returns trigger language plpgsql as $$ begin perform pg_sleep(1.5); return new; end $$`);
    await harness.db.query('create trigger slow_ledger before update on stagegate.migrations for each row execute function stagegate.slow_ledger()');
    const context = lambdaContext({ remainingMs: 2_000 });
    // Act
    const answer = succeeded(await invoke(handler, { action: 'migrate', bundle: ref }, context));
    const left = context.getRemainingTimeInMillis();
    // Assess: applied and recorded as applied, in time
    expect(left).toBeGreaterThan(0);
    expect(answer).toMatchObject({ status: 'applied', pending: [] });
    expect(await rows()).toEqual([{ id: 'app/0001_first', state: 'applied' }, { id: 'app/0002_quick', state: 'applied' }]);
  }, 60_000);
});
