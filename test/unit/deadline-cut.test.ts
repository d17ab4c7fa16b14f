/**
 * The words of a failure the function's deadline caused: what happened, and
 * a way out that fits (never "raise lock_timeout" for a wait the deadline cut).
 */
import { MigrationFailedError, type MigrationFailure } from '../../lib/core/errors';
import type { DeadlineCut } from '../../lib/core/deadline-cut';

const failure = (more: Partial<MigrationFailure>): MigrationFailure => ({
  migration: 'app/0002_x',
  file: 'app/0002_x.sql',
  line: 3,
  column: 1,
  statement: 'LOCK TABLE widget',
  sqlstate: '55P03',
  pgMessage: 'canceling statement due to lock timeout',
  ...more,
});
const cut = (more: Partial<DeadlineCut>): DeadlineCut => ({ by: 'lock_timeout', afterMs: 812, budgetMs: 800, configuredMs: 10_000, actor: 'lambda:svc-prod-migrate:req-1', stage: 'prod', ...more });

describe('a migration failure cut by the deadline', () => {
  it('says a lock wait was cut by the deadline, not by lock_timeout, and how to get the time', () => {
    // Prepare
    const plain = new MigrationFailedError(failure({}), false);
    // Act
    const error = new MigrationFailedError(failure({ deadline: cut({}) }), false);
    // Assess
    expect(plain.remedy).toContain('longer than lock_timeout allows (--lock-timeout');
    expect(error.message).toBe(
      'Migration app/0002_x (app/0002_x.sql) was cut at the deadline of function svc-prod-migrate (stage prod) after 812 ms: its lock_timeout was capped to the 800 ms left (configured: 10000 ms); ' +
        'it had 800 ms, the time left before the deadline less the safety margin. Cut at app/0002_x.sql:3:1: canceling statement due to lock timeout [SQLSTATE 55P03]',
    );
    expect(error.remedy).toContain('cut by the deadline, not by the configured lock_timeout: raising lock_timeout would not help');
    expect(error.remedy).not.toContain('--lock-timeout');
    expect(error.remedy).toContain('`stagegate migrate --stage prod`');
  });

  it('says what stayed of a no-transaction migration and how to settle its row', () => {
    // Act
    const error = new MigrationFailedError(failure({ sqlstate: '57014', pgMessage: 'canceling statement due to user request', deadline: cut({ by: 'cancel', configuredMs: undefined }) }), true);
    // Assess
    expect(error.message).toMatch(/^Migration app\/0002_x \(app\/0002_x\.sql\) was cancelled at the deadline of function svc-prod-migrate \(stage prod\) after 812 ms;/);
    expect(error.remedy).toContain('the statements before app/0002_x.sql:3 took effect and stay');
    expect(error.remedy).toContain('`stagegate resolve app/0002_x --applied`');
    expect(error.remedy).toContain('`stagegate resolve app/0002_x --rolled-back`');
    expect(error.remedy).toContain('raise the function\'s timeout (up to 15 min)');
  });

  it('says that nothing of a no-transaction migration ran when none of its statements was sent, and asks for no resolve', () => {
    // Act
    const error = new MigrationFailedError(failure({ sqlstate: '57014', pgMessage: 'not sent', notSent: true, deadline: cut({ by: 'cancel', configuredMs: undefined }) }), true);
    // Assess
    expect(error.remedy).toContain('None of its statements was sent: the deadline passed before the first one, so nothing of the migration ran and its ledger row was removed; app/0002_x is still pending');
    expect(error.remedy).not.toContain('resolve');
    expect(error.remedy).not.toContain('took effect');
    expect(error.remedy).toContain('`stagegate migrate --stage prod`');
  });

  it('names the runner as the ledger does when it is not a Lambda, and keeps a partial COMMIT\'s own words', () => {
    // Act
    const cli = new MigrationFailedError(failure({ deadline: cut({ actor: 'api:deploy-bot', stage: undefined }) }), false);
    const committed = new MigrationFailedError(failure({ ownCommitLine: 2, deadline: cut({}) }), false);
    // Assess
    expect(cli.message).toContain('at the deadline of api:deploy-bot after');
    expect(cli.remedy).toContain('`stagegate migrate --stage <stage>`');
    expect(committed.remedy).toContain("The migration's own COMMIT at app/0002_x.sql:2 committed");
  });
});
