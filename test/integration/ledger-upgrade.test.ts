import { LEDGER_REVISION, ledgerTables } from '../../lib/adapters/postgres/ledger';
import { ledgerDigest } from '../../lib/adapters/postgres/ledger-snapshot';
import { PgMigrationDatabase } from '../../lib/adapters/postgres';
import { checksumOf } from '../../lib/core/checksum';
import { driftCommand } from '../../lib/drift';
import { useTestDatabase } from '../support/database';
import { failure } from '../support/failure';
import { MemoryLogger, runOnFolder, useWorkspace } from '../support/workspace';

/** The ledger as stagegate 0.1.0 created it: version 1, no revision. */
const REVISION_0 = [
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

/** What each later revision of version 1 added, as the code of that revision wrote it. */
const REVISIONS: Record<number, string[]> = {
  1: ["alter table stagegate.runs add column if not exists reverted text[] not null default '{}'", "insert into stagegate.meta values ('ledger_revision', '1')"],
  2: ['alter table stagegate.runs add column if not exists stage_override jsonb', "update stagegate.meta set value = '2' where key = 'ledger_revision'"],
};

function ledgerAtRevision(revision: number): string[] {
  return [...REVISION_0, ...[1, 2].filter((r) => r <= revision).flatMap((r) => REVISIONS[r] ?? [])];
}

const ORG = { 'app/0001_org.sql': 'CREATE TABLE org (id int);' };
const WITH_Y = { ...ORG, 'app/0002_y.sql': 'CREATE TABLE y (id int);' };
const WITH_Z = { ...WITH_Y, 'app/0003_z.sql': 'CREATE TABLE z (id int);' };

describe('Integration: upgrading a ledger to revision 3 (the drift baseline)', () => {
  const db = useTestDatabase();
  const ws = useWorkspace();

  /** The complete mark as every revision writes it: the bundle and the ledger's digest, computed by the server. */
  const writeCompleteMark = (bundleId: string): Promise<unknown> =>
    db.query(
      `insert into stagegate.meta (key, value) select 'complete_bundle', $1 || ' ' || (${ledgerDigest(ledgerTables('stagegate'))})
       on conflict (key) do update set value = excluded.value`,
      [bundleId],
    );
  const meta = (): Promise<unknown> => db.query("select key, value from stagegate.meta where key like 'ledger_%' order by key");
  const drift = (): ReturnType<typeof driftCommand> =>
    driftCommand({ db: new PgMigrationDatabase({ connectionString: db.url, lockPollMs: 20 }), logger: new MemoryLogger() }, { actor: 'test' }, { lockWaitMs: 5_000 });

  it.each([0, 1, 2])('upgrades revision %i in place, keeps every row, drops the complete mark and stores a first baseline', async (revision) => {
    // Prepare: a ledger of that revision that applied the first migration, validly marked complete for the bundle
    const folder = ws.migrations(ORG);
    const { bundleId } = await runOnFolder(folder, db.url, { action: 'plan' });
    for (const statement of ledgerAtRevision(revision)) await db.query(statement);
    await db.query('CREATE TABLE org (id int)');
    await db.query(
      `insert into stagegate.migrations (id, checksum, state, method, bundle_id, applied_by) values ('app/0001_org', $1, 'applied', 'executed', $2, 'old')`,
      [checksumOf(ORG['app/0001_org.sql']), bundleId],
    );
    await writeCompleteMark(bundleId);
    // Act
    const result = await runOnFolder(folder, db.url, { action: 'migrate' });
    const upgraded = await meta();
    await db.query("update stagegate.meta set value = '0' where key = 'ledger_revision'");
    const again = await runOnFolder(folder, db.url, { action: 'migrate' });
    await db.query('ALTER TABLE org ADD COLUMN by_hand int');
    const refused = await failure(runOnFolder(ws.migrations(WITH_Y), db.url, { action: 'migrate' }));
    // Assess
    expect(result.status).toBe('up-to-date');
    expect(again.status).toBe('up-to-date');
    expect(upgraded).toEqual([
      { key: 'ledger_revision', value: String(LEDGER_REVISION) },
      { key: 'ledger_version', value: '1' },
    ]);
    expect(await meta()).toEqual(upgraded);
    expect(await db.query('select id, method, applied_by from stagegate.migrations')).toEqual([{ id: 'app/0001_org', method: 'executed', applied_by: 'old' }]);
    expect(await db.query("select count(*)::int as n from stagegate.schema_objects where name = 'public.org'")).toEqual([{ n: 1 }]);
    // Every column of every revision is there, and `adopted` is a method now.
    await db.query("update stagegate.migrations set method = 'adopted'");
    await db.query("update stagegate.runs set details = '{}'::jsonb, reverted = '{}', stage_override = null");
    expect(refused.code).toBe('DRIFT_DETECTED');
    expect(refused.message).toContain('column public.org.by_hand added outside migrations');
  });

  it('treats the baseline as stale after an older stagegate applied a migration, and stores a new one at the next run', async () => {
    // Prepare: this version stores a baseline; then a revision-2 stagegate (a rolled-back function) applies
    // 0002 as its code does: the table, the ledger row and the complete mark, but no baseline
    await runOnFolder(ws.migrations(ORG), db.url, { action: 'migrate' });
    const withY = ws.migrations(WITH_Y);
    const { bundleId } = await runOnFolder(withY, db.url, { action: 'plan' });
    await db.query('CREATE TABLE y (id int)');
    await db.query(
      `insert into stagegate.migrations (id, checksum, state, method, bundle_id, applied_by) values ('app/0002_y', $1, 'applied', 'executed', $2, 'old')`,
      [checksumOf(WITH_Y['app/0002_y.sql']), bundleId],
    );
    await writeCompleteMark(bundleId);
    // Act
    const stale = await drift();
    const upToDate = await runOnFolder(withY, db.url, { action: 'migrate' });
    const logger = new MemoryLogger();
    const next = await runOnFolder(ws.migrations(WITH_Z), db.url, { action: 'migrate' }, { logger });
    const current = await drift();
    await db.query('ALTER TABLE y ADD COLUMN by_hand int');
    const detected = await failure(drift());
    // Assess: the older code's table is never reported as drift, and the baseline is current again afterwards
    expect(stale).toMatchObject({ baseline: false, stale: true, differences: [] });
    expect(upToDate.status).toBe('up-to-date');
    expect(next).toMatchObject({ status: 'applied', applied: [{ id: 'app/0003_z' }] });
    expect(next.drift).toBeUndefined();
    expect(logger.events.some((e) => e.event === 'drift.skipped')).toBe(true);
    expect(current).toMatchObject({ baseline: true, stale: false, differences: [] });
    expect(detected.code).toBe('DRIFT_DETECTED');
    expect(detected.message).toContain('column public.y.by_hand added outside migrations');
  });
});
