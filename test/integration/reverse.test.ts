import { MigrationFailedError } from '../../lib/core/errors';
import { type TestDatabase, useTestDatabase } from '../support/database';
import { failure } from '../support/failure';
import { schemaSnapshot } from '../support/schema';
import { copyExampleApps, MemoryLogger, runOnFolder, useWorkspace } from '../support/workspace';

const ledgerIds = async (db: TestDatabase): Promise<string[]> =>
  (await db.query<{ id: string }>('select id from stagegate.migrations order by id')).map((r) => r.id);

const relationExists = async (db: TestDatabase, name: string): Promise<boolean> =>
  (await db.query<{ t: string | null }>('select to_regclass($1)::text as t', [name]))[0]?.t !== null;

const columnExists = async (db: TestDatabase, table: string, column: string): Promise<boolean> =>
  (await db.query('select 1 from information_schema.columns where table_name = $1 and column_name = $2', [table, column])).length > 0;

describe('Integration: migrate --to on a real PostgreSQL', () => {
  const db = useTestDatabase();
  const ws = useWorkspace();

  it('goes back across two apps with dependencies, dependents first, records the run, then forwards again', async () => {
    // Prepare: the example apps; membership/0001 depends on organization/0002
    const folder = copyExampleApps(ws.dir);
    await runOnFolder(folder, db.url, { action: 'migrate' });
    const afterFirst = await schemaSnapshot(db);
    const logger = new MemoryLogger();

    // Act
    const planned = await runOnFolder(folder, db.url, { action: 'plan', target: 'organization/0001_initial' });
    const back = await runOnFolder(folder, db.url, { action: 'migrate', target: 'organization/0001_initial' }, { logger });

    // Assess: the plan, then what ran, in order
    const order = ['organization/0003_organization_name_index', 'membership/0001_initial', 'organization/0002_organization_type'];
    expect(planned).toMatchObject({ status: 'pending', to: 'organization/0001_initial', pending: order });
    expect(planned.plan?.map((s) => [s.kind, s.file])).toEqual(order.map((id) => ['revert', `${id}.down.sql`]));
    expect(back).toMatchObject({ status: 'reverted', to: 'organization/0001_initial', applied: [], pending: [] });
    expect(back.reverted?.map((r) => r.id)).toEqual(order);
    expect(logger.events.filter((e) => e.event === 'migration.reverted').map((e) => e.data.id)).toEqual(order);
    // Objects and ledger rows gone, organization/0001 kept
    expect(await relationExists(db, 'membership_member')).toBe(false);
    expect(await relationExists(db, 'organization_name_idx')).toBe(false);
    expect(await columnExists(db, 'organization', 'type_id')).toBe(false);
    expect(await relationExists(db, 'organization')).toBe(true);
    expect(await ledgerIds(db)).toEqual(['organization/0001_initial']);
    const runs = await db.query<{ outcome: string; applied: string[]; reverted: string[] }>('select outcome, applied, reverted from stagegate.runs order by id');
    expect(runs[1]).toEqual({ outcome: 'succeeded', applied: [], reverted: order });

    // Act: at the target, nothing to do; then forwards again
    const again = await runOnFolder(folder, db.url, { action: 'migrate', target: 'organization/0001_initial' });
    const forward = await runOnFolder(folder, db.url, { action: 'migrate' });

    // Assess: the same schema as before
    expect(again).toMatchObject({ status: 'up-to-date', reverted: [] });
    expect(forward.applied.map((a) => a.id)).toEqual(['organization/0002_organization_type', 'membership/0001_initial', 'organization/0003_organization_name_index']);
    expect(await schemaSnapshot(db)).toEqual(afterFirst);
  });

  it('reverts one app completely, leaves an unrelated app alone, and stops going forwards at the target', async () => {
    // Prepare
    const folder = ws.migrations({
      'org/0001_initial.sql': 'CREATE TABLE org (id int PRIMARY KEY);',
      'org/0001_initial.down.sql': 'DROP TABLE org;',
      'member/0001_initial.sql': '-- stagegate:depends-on org/0001_initial\nCREATE TABLE member (org_id int REFERENCES org (id));',
      'member/0001_initial.down.sql': 'DROP TABLE member;',
      'billing/0001_initial.sql': 'CREATE TABLE invoice (id int);',
      'billing/0001_initial.down.sql': 'DROP TABLE invoice;',
    });
    await runOnFolder(folder, db.url, { action: 'migrate' });

    // Act
    const zero = await runOnFolder(folder, db.url, { action: 'migrate', target: 'org/zero' });
    const toMember = await runOnFolder(folder, db.url, { action: 'migrate', target: 'member/0001_initial' });

    // Assess
    expect(zero.reverted?.map((r) => r.id)).toEqual(['member/0001_initial', 'org/0001_initial']);
    expect(toMember).toMatchObject({ status: 'applied', applied: [{ id: 'org/0001_initial' }, { id: 'member/0001_initial' }] });
    expect(await ledgerIds(db)).toEqual(['billing/0001_initial', 'member/0001_initial', 'org/0001_initial']);
    expect(await relationExists(db, 'invoice')).toBe(true);
  });

  it('keeps a migration applied when its reverse script fails; what was reverted before stays reverted', async () => {
    // Prepare
    const folder = ws.migrations({
      'app/0001_init.sql': 'CREATE TABLE widget (id int);',
      'app/0001_init.down.sql': 'DROP TABLE widget;',
      'app/0002_colour.sql': 'ALTER TABLE widget ADD COLUMN colour text;',
      'app/0002_colour.down.sql': 'ALTER TABLE widget DROP COLUMN colour;\nSELECT 1/0;',
      'app/0003_size.sql': 'ALTER TABLE widget ADD COLUMN size int;',
      'app/0003_size.down.sql': 'ALTER TABLE widget DROP COLUMN size;',
    });
    await runOnFolder(folder, db.url, { action: 'migrate' });

    // Act
    const error = await failure(runOnFolder(folder, db.url, { action: 'migrate', target: 'app/0001_init' }));
    const status = await runOnFolder(folder, db.url, { action: 'status' });

    // Assess
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect(error.message).toContain('reverse script of migration app/0002_colour failed at app/0002_colour.down.sql:2');
    expect(error.remedy).toContain('still applied');
    expect(error.details.reverted).toEqual([{ id: 'app/0003_size', durationMs: expect.any(Number) }]);
    expect(await ledgerIds(db)).toEqual(['app/0001_init', 'app/0002_colour']);
    expect(await columnExists(db, 'widget', 'colour')).toBe(true);
    expect(await columnExists(db, 'widget', 'size')).toBe(false);
    expect(status.pending).toEqual(['app/0003_size']);
    const runs = await db.query<{ outcome: string; reverted: string[]; error: { code: string } }>('select outcome, reverted, error from stagegate.runs order by id');
    expect(runs[1]).toMatchObject({ outcome: 'failed', reverted: ['app/0003_size'], error: { code: 'MIGRATION_FAILED', reverting: true } });
    // status's last run says what the failed run reverted
    expect(status.lastRun).toMatchObject({ outcome: 'failed', applied: [], reverted: ['app/0003_size'], error: { code: 'MIGRATION_FAILED', file: 'app/0002_colour.down.sql', line: 2 } });
  });

  it('reverts a recorded squash with its own reverse script and forgets the rows of the migrations it replaces', async () => {
    // Prepare: 0002 and 0003 applied one by one; a release squashes them and records the squash
    const originals = {
      'app/0001_init.sql': 'CREATE TABLE widget (id int);',
      'app/0001_init.down.sql': 'DROP TABLE widget;',
      'app/0002_colour.sql': 'ALTER TABLE widget ADD COLUMN colour text;',
      'app/0003_size.sql': 'ALTER TABLE widget ADD COLUMN size int;',
    };
    await runOnFolder(ws.migrations(originals), db.url, { action: 'migrate' });
    const squashed = {
      ...originals,
      'app/0004_squashed.sql': '-- stagegate:replaces app/0002_colour app/0003_size\nALTER TABLE widget ADD COLUMN colour text, ADD COLUMN size int;',
      'app/0004_squashed.down.sql': 'ALTER TABLE widget DROP COLUMN colour, DROP COLUMN size;',
    };
    const folder = ws.migrations(squashed);
    const recorded = await runOnFolder(folder, db.url, { action: 'migrate' });

    // Act
    const back = await runOnFolder(folder, db.url, { action: 'migrate', target: 'app/0001_init' });
    const afterBack = { rows: await ledgerIds(db), colour: await columnExists(db, 'widget', 'colour') };
    const inside = await failure(runOnFolder(folder, db.url, { action: 'plan', target: 'app/0002_colour' }));
    const forward = await runOnFolder(folder, db.url, { action: 'migrate' });

    // Assess
    expect(recorded.applied).toEqual([{ id: 'app/0004_squashed', durationMs: 0, method: 'recorded' }]);
    expect(back.reverted?.map((r) => r.id)).toEqual(['app/0004_squashed']);
    expect(afterBack).toEqual({ rows: ['app/0001_init'], colour: false });
    expect(inside.code).toBe('TARGET_REPLACED');
    expect(forward.applied.map((a) => [a.id, a.method])).toEqual([['app/0004_squashed', 'executed']]);
    expect(await ledgerIds(db)).toEqual(['app/0001_init', 'app/0004_squashed']);
    expect(await columnExists(db, 'widget', 'size')).toBe(true);
  });

  it('refuses before anything runs when a migration in the way cannot be reverted, and does not trust an old complete mark', async () => {
    // Prepare
    const folder = ws.migrations({
      'app/0001_init.sql': 'CREATE TABLE widget (id int);',
      'app/0001_init.down.sql': 'DROP TABLE widget;',
      'app/0002_drop.sql': '-- stagegate:irreversible\nALTER TABLE widget DROP COLUMN id;',
      'app/0003_size.sql': 'ALTER TABLE widget ADD COLUMN size int;',
    });
    await runOnFolder(folder, db.url, { action: 'migrate' });

    // Act
    const error = await failure(runOnFolder(folder, db.url, { action: 'migrate', target: 'app/zero' }));
    const unknown = await failure(runOnFolder(folder, db.url, { action: 'migrate', target: 'app/0009_nothing' }));

    // Assess
    expect(error.code).toBe('IRREVERSIBLE');
    expect(error.message).toContain('app/0002_drop (app/0002_drop.sql): marked -- stagegate:irreversible');
    expect(error.message).toContain('app/0003_size.down.sql');
    expect(unknown.code).toBe('TARGET_UNKNOWN');
    expect(await ledgerIds(db)).toEqual(['app/0001_init', 'app/0002_drop', 'app/0003_size']);
    expect(await relationExists(db, 'widget')).toBe(true);
  });

  it('reverts a squash whose originals ran but were pruned before it was recorded, with what depends on them', async () => {
    // Prepare: the stage ran the originals one by one; the release pruned them (squash --prune --force) before this stage recorded the squash
    await runOnFolder(
      ws.migrations({
        'app/0001_init.sql': 'CREATE TABLE widget (id int PRIMARY KEY);',
        'app/0002_colour.sql': 'ALTER TABLE widget ADD COLUMN colour text;',
        'shop/0001_order.sql': '-- stagegate:depends-on app/0002_colour\nCREATE TABLE shop_order (widget_id int REFERENCES widget (id));',
      }),
      db.url,
      { action: 'migrate' },
    );
    const folder = ws.migrations({
      'app/0003_squashed.sql': '-- stagegate:replaces app/0001_init app/0002_colour\nCREATE TABLE widget (id int PRIMARY KEY, colour text);',
      'app/0003_squashed.down.sql': 'DROP TABLE widget;',
      'shop/0001_order.sql': '-- stagegate:depends-on app/0002_colour\nCREATE TABLE shop_order (widget_id int REFERENCES widget (id));',
      'shop/0001_order.down.sql': 'DROP TABLE shop_order;',
    });

    // Act
    const back = await runOnFolder(folder, db.url, { action: 'migrate', target: 'zero' });

    // Assess: the dependent first, then the squash's reverse script, which forgets the originals' rows
    expect(back).toMatchObject({ status: 'reverted' });
    expect(back.reverted?.map((r) => r.id)).toEqual(['shop/0001_order', 'app/0003_squashed']);
    expect(await ledgerIds(db)).toEqual([]);
    expect(await relationExists(db, 'widget')).toBe(false);
  });

  it('after a no-transaction reverse script fails, every later run says it was the reverse, and how to settle it', async () => {
    // Prepare: the reverse script drops the index, then fails
    const folder = ws.migrations({
      'app/0001_t.sql': 'CREATE TABLE t (id int);',
      'app/0001_t.down.sql': 'DROP TABLE t;',
      'app/0002_idx.sql': '-- stagegate:no-transaction\nCREATE INDEX CONCURRENTLY t_idx ON t (id);',
      'app/0002_idx.down.sql': 'DROP INDEX CONCURRENTLY t_idx;\nSELECT 1/0;',
    });
    await runOnFolder(folder, db.url, { action: 'migrate' });
    await failure(runOnFolder(folder, db.url, { action: 'migrate', target: 'zero' }));

    // Act
    const dirty = await failure(runOnFolder(folder, db.url, { action: 'migrate' }));

    // Assess: --applied would record as applied a migration whose reverse script took effect
    expect(dirty.code).toBe('MIGRATION_DIRTY');
    expect(dirty.message).toContain('The reverse script of the no-transaction migration app/0002_idx (app/0002_idx.down.sql) failed');
    expect(dirty.remedy).toContain('stagegate resolve app/0002_idx --rolled-back` (it counts as not applied)');
    expect(dirty.details).toMatchObject({ migration: 'app/0002_idx', state: 'failed', reverting: true });
    expect(await relationExists(db, 't_idx')).toBe(false);
  });
});
