import { handler } from '../../handlers/migrate';
import { useHandlerHarness } from '../support/handler-harness';
import { lambdaContext } from '../support/lambda-context';
import { invoke, publishMigrations, succeeded } from '../support/lambda-invoke';

const BUCKET = 'stagegate-rehearse';

describe('Integration: plan --rehearse through the migrate handler near its deadline', () => {
  const harness = useHandlerHarness(BUCKET, { STAGEGATE_SAFETY_MARGIN_MS: '500' });

  it('starts no rehearsal inside the safety margin and answers incomplete, blaming no migration', async () => {
    // Prepare
    const { ref } = await publishMigrations(harness.s3.client, BUCKET, { 'app/0001_init.sql': 'CREATE TABLE widget (id int);' });
    // Act
    const result = succeeded(await invoke(handler, { action: 'plan', bundle: ref, rehearse: true }, lambdaContext({ remainingMs: 200 })));
    // Assess
    expect(result).toMatchObject({ action: 'plan', status: 'incomplete', pending: ['app/0001_init'] });
    expect(result.rehearsal).toEqual([{ id: 'app/0001_init', file: 'app/0001_init.sql', status: 'not-rehearsable', outOfTime: true, reason: expect.stringContaining('ran out of time') }]);
  });

  it('stops rehearsing when the time left runs out, ends before the deadline, and a call with time rehearses everything', async () => {
    // Prepare: 1.5 s usable (2 s left minus the 0.5 s margin) for three migrations of 1 s each
    const { ref } = await publishMigrations(harness.s3.client, BUCKET, {
      'app/0001_a.sql': 'SELECT pg_sleep(1);',
      'app/0002_b.sql': 'SELECT pg_sleep(1);',
      'app/0003_c.sql': 'SELECT pg_sleep(1);',
    });
    const context = lambdaContext({ remainingMs: 2_000 });
    // Act
    const cut = succeeded(await invoke(handler, { action: 'plan', bundle: ref, rehearse: true }, context));
    const left = context.getRemainingTimeInMillis();
    const full = succeeded(await invoke(handler, { action: 'plan', bundle: ref, rehearse: true }, lambdaContext({ remainingMs: 60_000 })));
    // Assess
    expect(left).toBeGreaterThan(0);
    expect(cut.status).toBe('incomplete');
    expect(cut.rehearsal?.map((o) => [o.id, o.status, o.outOfTime === true])).toEqual([
      ['app/0001_a', 'rehearsed', false],
      ['app/0002_b', 'not-rehearsable', true],
      ['app/0003_c', 'not-rehearsable', true],
    ]);
    expect(full.status).toBe('rehearsed');
    expect(full.rehearsal?.map((o) => o.status)).toEqual(['rehearsed', 'rehearsed', 'rehearsed']);
    expect(await harness.db.query("select to_regclass('stagegate.migrations')::text as t")).toEqual([{ t: null }]);
  });

  it('stops inside a migration of many short statements when the time left runs out', async () => {
    // Prepare: eight statements of 0.4 s, each under the 1.5 s usable, together twice as long
    const { ref } = await publishMigrations(harness.s3.client, BUCKET, { 'app/0001_many.sql': Array(8).fill('SELECT pg_sleep(0.4);').join('\n') });
    const context = lambdaContext({ remainingMs: 2_000 });
    // Act
    const cut = succeeded(await invoke(handler, { action: 'plan', bundle: ref, rehearse: true }, context));
    // Assess
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(cut).toMatchObject({ status: 'incomplete', rehearsal: [{ id: 'app/0001_many', status: 'not-rehearsable', outOfTime: true }] });
  });

  it('cancels a migration that sets its own statement_timeout when the time left runs out, and ends before the deadline', async () => {
    // Prepare: the migration's own statement_timeout holds for its statements, so only the cancel at the deadline stops them
    const { ref } = await publishMigrations(harness.s3.client, BUCKET, { 'app/0001_own.sql': `SET statement_timeout = '1min';\n${Array(8).fill('SELECT pg_sleep(0.4);').join('\n')}` });
    succeeded(await invoke(handler, { action: 'plan', bundle: ref })); // warms the bundle cache and the clients
    const context = lambdaContext({ remainingMs: 2_000 });
    // Act
    const cut = succeeded(await invoke(handler, { action: 'plan', bundle: ref, rehearse: true }, context));
    // Assess
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(cut).toMatchObject({ status: 'incomplete', rehearsal: [{ id: 'app/0001_own', status: 'not-rehearsable', outOfTime: true }] });
  });
});
