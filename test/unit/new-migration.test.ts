import { MigrationExistsError, UsageError } from '../../lib/core/errors';
import { nextMigration } from '../../lib/core/new-migration';

describe('Unit: nextMigration', () => {
  it('starts a new app at 0001, whatever other apps hold', () => {
    const next = nextMigration(['shop/0042_x.sql'], { app: 'billing', name: 'invoices', dependsOn: [] });
    expect(next).toMatchObject({ id: 'billing/0001_invoices', file: 'billing/0001_invoices.sql', downFile: 'billing/0001_invoices.down.sql', downSql: '' });
  });

  it('takes one more than the highest number, counting reverse scripts and badly named files', () => {
    const paths = ['shop/0001_a.sql', 'shop/0003_b.down.sql', 'shop/0002_Bad.sql', 'shop/README.md'];
    expect(nextMigration(paths, { app: 'shop', name: 'c', dependsOn: [] }).id).toBe('shop/0004_c');
  });

  it('keeps the width the app uses and grows past it', () => {
    expect(nextMigration(['w/000009_a.sql'], { app: 'w', name: 'b', dependsOn: [] }).id).toBe('w/000010_b');
    expect(nextMigration(['n/9999_a.sql'], { app: 'n', name: 'b', dependsOn: [] }).id).toBe('n/10000_b');
  });

  it('writes one depends-on line per dependency, once each', () => {
    const next = nextMigration(['a/0001_x.sql', 'b/0002_y.sql'], { app: 'c', name: 'z', dependsOn: ['a/0001_x', 'b/0002_y', 'a/0001_x'] });
    expect(next.sql.split('\n').filter((l) => l.startsWith('-- stagegate:'))).toEqual(['-- stagegate:depends-on a/0001_x', '-- stagegate:depends-on b/0002_y']);
  });

  it('refuses a name the app already has', () => {
    expect(() => nextMigration(['shop/0001_orders.sql'], { app: 'shop', name: 'orders', dependsOn: [] })).toThrow(MigrationExistsError);
  });

  it.each([
    ['an app that is not an id', { app: 'Shop', name: 'x', dependsOn: [] }],
    ['a name that is not an id', { app: 'shop', name: 'add-column', dependsOn: [] }],
    ['a dependency that is not in the folder', { app: 'shop', name: 'x', dependsOn: ['shop/0009_nope'] }],
    ['a reverse script as a dependency', { app: 'shop', name: 'x', dependsOn: ['shop/0001_a.down'] }],
  ])('refuses %s as bad usage', (_what, request) => {
    expect(() => nextMigration(['shop/0001_a.sql', 'shop/0001_a.down.sql'], request)).toThrow(UsageError);
  });
});
