import { remedyOnTheFunction } from '../../lib/adapters/lambda/function-remedy';
import { MigrationDirtyError, NotDirtyError, UsageError } from '../../lib/core/errors';

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
