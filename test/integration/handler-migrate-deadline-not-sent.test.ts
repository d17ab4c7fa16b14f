/**
 * A `no-transaction` migration whose `running` row is still being written
 * when the migrate function's deadline passes: the cancel asked for then is
 * held (it would cut the ledger's write), and the first statement is not
 * sent. None of the migration ran, so it is not dirty: its row is removed,
 * it stays pending, and the next invocation runs it.
 */
import { handler } from '../../handlers/migrate';
import { useHandlerHarness } from '../support/handler-harness';
import { lambdaContext } from '../support/lambda-context';
import { failed, invoke, publishMigrations, succeeded } from '../support/lambda-invoke';

const BUCKET = 'stagegate-not-sent';
const FILES = {
  'app/0001_first.sql': 'CREATE TABLE first (id int);',
  'app/0002_second.sql': 'CREATE TABLE second (id int);',
  'app/0003_quick.sql': '-- stagegate:no-transaction\nCREATE TABLE quick (id int);',
};
const FIRST = { id: 'app/0001_first', state: 'applied' };
const SECOND = { id: 'app/0002_second', state: 'applied' };

describe('Integration: the migrate handler reports a no-transaction migration the deadline stopped before its first statement as pending', () => {
  const harness = useHandlerHarness(BUCKET, { STAGEGATE_SAFETY_MARGIN_MS: '3000' });

  const rows = (): Promise<Array<{ id: string; state: string }>> => harness.db.query('select id, state from stagegate.migrations order by id');
  const runs = async (): Promise<string[]> => (await harness.db.query<{ outcome: string }>('select outcome from stagegate.runs order by id')).map((r) => r.outcome);
  const exists = async (name: string): Promise<boolean> => (await harness.db.query<{ t: string | null }>('select to_regclass($1)::text as t', [name]))[0]?.t !== null;

  /**
   * Writing the `running` row of 0003 takes 3 s (cancels held), so a 6 s budget with a 3 s margin ends during
   * that write and the write ends within the budget, however slowly the steps before it run (up to 3 s).
   */
  async function slowRunningRow(): Promise<void> {
    await harness.db.query(
      `create function stagegate.slow_running() returns trigger language plpgsql as $$ begin if new.id = 'app/0003_quick' and new.state = 'running' then perform pg_sleep(3); end if; return new; end $$`,
    );
    await harness.db.query('create trigger slow_running before insert on stagegate.migrations for each row execute function stagegate.slow_running()');
  }

  it('answers incomplete with it pending and no row of it when it is not the run\'s first, and the next invocation applies it', async () => {
    // Prepare: 0001 applied (the ledger exists for the trigger), so the run's steps are 0002, then 0003
    const { ref } = await publishMigrations(harness.s3.client, BUCKET, FILES);
    succeeded(await invoke(handler, { action: 'migrate', bundle: ref, target: 'app/0001_first' }, lambdaContext({ remainingMs: 60_000 })));
    await slowRunningRow();
    const context = lambdaContext({ remainingMs: 6_000 });
    // Act
    const cut = succeeded(await invoke(handler, { action: 'migrate', bundle: ref }, context));
    const left = context.getRemainingTimeInMillis();
    const afterCut = { rows: await rows(), runs: await runs(), quick: await exists('quick') };
    const rest = succeeded(await invoke(handler, { action: 'migrate', bundle: ref }, lambdaContext({ remainingMs: 60_000 })));
    // Assess
    expect(left).toBeGreaterThan(0);
    expect(cut).toMatchObject({ status: 'incomplete', pending: ['app/0003_quick'] });
    expect(cut.applied.map((a) => a.id)).toEqual(['app/0002_second']);
    expect(harness.output.records().find((r) => r.message === 'run.stopped')).toMatchObject({ level: 'WARN', reason: 'deadline', next: 'app/0003_quick', notSent: true });
    expect(afterCut).toEqual({ rows: [FIRST, SECOND], runs: ['succeeded', 'incomplete'], quick: false });
    expect(rest).toMatchObject({ status: 'applied', pending: [] });
    expect(rest.applied.map((a) => a.id)).toEqual(['app/0003_quick']);
    expect(await rows()).toEqual([FIRST, SECOND, { id: 'app/0003_quick', state: 'applied' }]);
  }, 60_000);

  it('fails the run\'s first migration with the deadline\'s failure, leaves it pending without a row, and the next invocation applies it', async () => {
    // Prepare: 0001 and 0002 applied, so 0003 is the run's first step
    const { ref } = await publishMigrations(harness.s3.client, BUCKET, FILES);
    succeeded(await invoke(handler, { action: 'migrate', bundle: ref, target: 'app/0002_second' }, lambdaContext({ remainingMs: 60_000 })));
    await slowRunningRow();
    const context = lambdaContext({ remainingMs: 6_000 });
    // Act
    const error = failed(await invoke(handler, { action: 'migrate', bundle: ref }, context));
    const left = context.getRemainingTimeInMillis();
    const afterCut = { rows: await rows(), quick: await exists('quick') };
    const rest = succeeded(await invoke(handler, { action: 'migrate', bundle: ref }, lambdaContext({ remainingMs: 60_000 })));
    // Assess
    expect(left).toBeGreaterThan(0);
    expect(error.errorType).toBe('MIGRATION_FAILED');
    expect(error.error.message).toContain('Migration app/0003_quick (app/0003_quick.sql) was cancelled at the deadline');
    expect(error.error.details).toMatchObject({ migration: 'app/0003_quick', sqlstate: '57014', notSent: true, deadline: { by: 'cancel' } });
    expect(error.error.remedy).toContain('None of its statements was sent');
    expect(error.error.remedy).not.toContain('resolve');
    expect(afterCut).toEqual({ rows: [FIRST, SECOND], quick: false });
    expect(rest.applied.map((a) => a.id)).toEqual(['app/0003_quick']);
    expect(await rows()).toEqual([FIRST, SECOND, { id: 'app/0003_quick', state: 'applied' }]);
    expect(await runs()).toEqual(['succeeded', 'failed', 'succeeded']);
  }, 60_000);
});
