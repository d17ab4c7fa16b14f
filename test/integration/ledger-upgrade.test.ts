import { checksumOf } from '../../lib/core/checksum';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { failure } from '../support/failure';
import { createWorkspace, MemoryLogger, runOnFolder, type Workspace } from '../support/workspace';

/** The ledger as stagegate with ledger version 1 created it. */
const V1_LEDGER = [
  'create schema stagegate',
  'create table stagegate.meta (key text primary key, value text not null)',
  `create table stagegate.runs (
     id bigserial primary key, action text not null, bundle_id text not null, actor text not null,
     db_user text not null default current_user, started_at timestamptz not null default now(), finished_at timestamptz,
     outcome text not null check (outcome in ('running', 'succeeded', 'failed', 'incomplete', 'abandoned')),
     applied text[] not null default '{}', error jsonb)`,
  `create table stagegate.migrations (
     id text primary key, checksum text not null, state text not null check (state in ('applied', 'running', 'failed')),
     method text not null check (method in ('executed', 'recorded')), applied_at timestamptz not null default now(),
     duration_ms integer, bundle_id text not null, run_id bigint, applied_by text not null,
     db_user text not null default current_user, error jsonb)`,
  "insert into stagegate.meta values ('ledger_version', '1')",
];

describe('Integration: upgrading a version 1 ledger', () => {
  let db: TestDatabase;
  let ws: Workspace;
  beforeEach(async () => {
    db = await createTestDatabase();
    ws = createWorkspace();
  });
  afterEach(async () => {
    await db.drop();
    ws.remove();
  });

  it('adds the baseline table, runs.details and the adopted method, keeps every row, and stores a first baseline', async () => {
    // Prepare: a v1 ledger that applied the first migration, marked complete for the current bundle
    const folder = ws.migrations({ 'app/0001_org.sql': 'CREATE TABLE org (id int);' });
    const first = await runOnFolder(folder, db.url, { action: 'plan' });
    for (const statement of V1_LEDGER) await db.query(statement);
    await db.query('CREATE TABLE org (id int)');
    const status = await runOnFolder(folder, db.url, { action: 'status' });
    expect(status.pending).toEqual(['app/0001_org']);
    await db.query(
      `insert into stagegate.migrations (id, checksum, state, method, bundle_id, applied_by) values ('app/0001_org', $1, 'applied', 'executed', $2, 'old')`,
      [checksumOf('CREATE TABLE org (id int);'), first.bundleId],
    );
    await db.query("insert into stagegate.meta values ('complete_bundle', $1)", [`${first.bundleId} stale`]);
    const logger = new MemoryLogger();
    // Act
    const result = await runOnFolder(folder, db.url, { action: 'migrate' }, { logger });
    await db.query("update stagegate.meta set value = '1' where key = 'ledger_version'");
    const again = await runOnFolder(folder, db.url, { action: 'migrate' });
    await db.query('ALTER TABLE org ADD COLUMN by_hand int');
    const drift = await failure(runOnFolder(ws.migrations({ 'app/0001_org.sql': 'CREATE TABLE org (id int);', 'app/0002_x.sql': 'CREATE TABLE x (id int);' }), db.url, { action: 'migrate' }));
    // Assess
    expect(result.status).toBe('up-to-date');
    expect(again.status).toBe('up-to-date');
    expect(await db.query("select value from stagegate.meta where key = 'ledger_version'")).toEqual([{ value: '2' }]);
    expect(await db.query('select id, method, applied_by from stagegate.migrations')).toEqual([{ id: 'app/0001_org', method: 'executed', applied_by: 'old' }]);
    expect(await db.query("select count(*)::int as n from stagegate.schema_objects where name = 'public.org'")).toEqual([{ n: 1 }]);
    await db.query("update stagegate.migrations set method = 'adopted'");
    await db.query("update stagegate.runs set details = '{}'::jsonb");
    expect(drift.code).toBe('DRIFT_DETECTED');
    expect(drift.message).toContain('column public.org.by_hand added outside migrations');
  });
});
