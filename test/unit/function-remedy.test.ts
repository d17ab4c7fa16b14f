import { remedyOnTheFunction } from '../../lib/adapters/lambda/function-remedy';
import { adoptionPlan } from '../../lib/core/adoption';
import { DriftDetectedError, MigrationDirtyError, MigrationRunnerError, NotDirtyError, ScratchDatabaseError, UsageError } from '../../lib/core/errors';
import { migration } from '../support/builders';

const dirty = (): MigrationDirtyError => {
  const error = new MigrationDirtyError('shop/0004_index', 'shop/0004_index.sql', 'failed', '2026-12-02T01:00:00Z');
  error.details.target = 'migrator@db.internal:5432/app';
  return error;
};

describe('Function: remedies that name stagegate resolve', () => {
  it('adds --stage to each resolve command of a dirty migration\'s remedy and says the function reaches the database', () => {
    // Act
    const { code, message, remedy } = remedyOnTheFunction(dirty(), { functionName: 'svc-prod-migrate', stage: 'prod' });
    // Assess
    expect(code).toBe('MIGRATION_DIRTY');
    expect(message).toBe(dirty().message);
    expect(remedy).toContain('`stagegate resolve shop/0004_index --applied --stage prod`');
    expect(remedy).toContain('`stagegate resolve shop/0004_index --rolled-back --stage prod`');
    expect(remedy).toContain('With --stage, `stagegate resolve` runs through svc-prod-migrate, which reaches migrator@db.internal:5432/app');
    expect(remedy).not.toMatch(/--(applied|rolled-back)`/);
  });

  it('writes <stage> when the function does not know its stage, and is the same on a second call', () => {
    // Act
    const first = remedyOnTheFunction(dirty(), { functionName: 'svc-migrate', stage: null }).remedy;
    const second = remedyOnTheFunction(dirty(), { functionName: 'svc-migrate', stage: null }).remedy;
    // Assess
    expect(first).toContain('`stagegate resolve shop/0004_index --applied --stage <stage>`');
    expect(second).toBe(first);
  });

  it('points NOT_DIRTY at status --stage, and leaves other remedies as they are', () => {
    // Prepare
    const usage = new UsageError('stagegate resolve needs exactly one of --applied or --rolled-back.');
    // Act
    const notDirty = remedyOnTheFunction(new NotDirtyError('shop/0001_orders', 'applied'), { functionName: 'svc-prod-migrate', stage: 'prod' });
    const other = remedyOnTheFunction(usage, { functionName: 'svc-prod-migrate', stage: 'prod' });
    // Assess
    expect(notDirty.remedy).toContain('Check the id against `stagegate status --stage prod`; nothing was changed.');
    expect(other).toBe(usage);
  });
});

describe('Function: remedies that lead to stagegate adopt', () => {
  const place = { functionName: 'svc-prod-migrate', stage: 'prod' };
  const thrown = (fn: () => unknown): MigrationRunnerError => {
    try {
      fn();
    } catch (error) {
      return error as MigrationRunnerError;
    }
    throw new Error('expected an error');
  };

  it('adds --stage to the adopt and drift commands of DRIFT_DETECTED', () => {
    // Act
    const { remedy } = remedyOnTheFunction(new DriftDetectedError('stagegate', [{ kind: 'table', name: 'public.refunds', change: 'added', expected: null, actual: 'table' }], true), place);
    // Assess
    expect(remedy).toContain('`stagegate adopt <id> --stage prod`');
    expect(remedy).toContain('`stagegate drift --accept --reason "…" --stage prod`');
  });

  it('turns adopt\'s `migrate --to … --drift warn` into stage commands, since --drift does not apply to a stage', () => {
    // Prepare: the migration to adopt waits for a skipped one
    const migrations = [migration({ id: 'shop/0001_orders', sql: '' }), migration({ id: 'shop/0002_note', sql: '', dependencies: ['shop/0001_orders'] }), migration({ id: 'shop/0003_refunds', sql: '', dependencies: ['shop/0002_note'] })];
    const refusal = thrown(() => adoptionPlan(migrations, [{ id: 'shop/0001_orders', checksum: 'x', state: 'applied' } as never], 'shop/0003_refunds'));
    // Act
    const { code, remedy } = remedyOnTheFunction(refusal, place);
    // Assess
    expect(code).toBe('ADOPT_REFUSED');
    expect(remedy).toContain('`stagegate migrate --to shop/0002_note --stage prod`, then `stagegate adopt shop/0003_refunds --stage prod`');
    expect(remedy).toContain('`stagegate drift --accept --reason "made by hand for shop/0003_refunds" --stage prod`');
    expect(remedy).not.toContain('--drift warn');
  });

  it('says a scratch database refused for lack of CREATEDB needs it for the function\'s own user, and names --force on the stage', () => {
    // Prepare: what PostgreSQL answers a role without CREATEDB
    const denied = new ScratchDatabaseError('stagegate adopt', 'migrator@db.internal:5432/app', '42501', 'permission denied to create database');
    denied.details.migration = 'shop/0003_refunds';
    const full = new ScratchDatabaseError('stagegate adopt', 'migrator@db.internal:5432/app', '53100', 'could not extend file');
    // Act
    const deniedRemedy = remedyOnTheFunction(denied, place).remedy;
    const fullRemedy = remedyOnTheFunction(full, place).remedy;
    // Assess
    expect(deniedRemedy).toContain('svc-prod-migrate creates the scratch database as its own database user (migrator@db.internal:5432/app), which lacks CREATEDB');
    expect(deniedRemedy).toContain('`ALTER ROLE migrator CREATEDB`');
    expect(deniedRemedy).toContain('`stagegate adopt shop/0003_refunds --force --reason "…" --stage prod`');
    expect(fullRemedy).toContain('Check that the server accepts a new database');
    expect(fullRemedy).toContain('`stagegate adopt <id> --force --reason "…" --stage prod`');
  });
});
