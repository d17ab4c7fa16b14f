import { PgMigrationDatabase } from '../../lib/adapters/postgres';
import { driftCommand } from '../../lib/drift';
import { useTestDatabase } from '../support/database';
import { failure } from '../support/failure';
import { MemoryLogger, runOnFolder, useWorkspace } from '../support/workspace';

const V1 = { 'org/0001_initial.sql': 'CREATE TABLE organization (id bigserial PRIMARY KEY, name text NOT NULL);' };
const V2 = { ...V1, 'org/0002_slug.sql': 'ALTER TABLE organization ADD COLUMN slug text;' };
const V3 = { ...V2, 'org/0003_index.sql': 'CREATE INDEX organization_slug ON organization (slug);' };

describe('Integration: drift detection on a real PostgreSQL', () => {
  const db = useTestDatabase();
  const ws = useWorkspace();

  const ledgerIds = async (): Promise<string[]> => (await db.query<{ id: string }>('select id from stagegate.migrations order by id')).map((r) => r.id);
  const columns = async (): Promise<string[]> =>
    (await db.query<{ c: string }>("select column_name as c from information_schema.columns where table_name = 'organization' order by 1")).map((r) => r.c);
  const drift = (accept?: { reason: string }): ReturnType<typeof driftCommand> =>
    driftCommand({ db: new PgMigrationDatabase({ connectionString: db.url, lockPollMs: 20 }), logger: new MemoryLogger() }, { actor: 'test', accept }, { lockWaitMs: 5_000 });

  it('stops a run with DRIFT_DETECTED naming a column added by hand, and changes nothing', async () => {
    // Prepare
    await runOnFolder(ws.migrations(V1), db.url, { action: 'migrate' });
    await db.query('ALTER TABLE organization ADD COLUMN type_id integer');
    const before = await columns();
    // Act
    const error = await failure(runOnFolder(ws.migrations(V2), db.url, { action: 'migrate' }));
    // Assess
    expect(error.code).toBe('DRIFT_DETECTED');
    expect(error.message).toContain('column public.organization.type_id added outside migrations (integer)');
    expect(error.message).toContain('"stagegate"');
    expect(error.remedy).toContain('stagegate drift --accept');
    expect(error.remedy).toContain('Nothing was run.');
    expect(error.details.differences).toEqual([{ kind: 'column', name: 'public.organization.type_id', change: 'added', expected: null, actual: 'integer' }]);
    expect(await ledgerIds()).toEqual(['org/0001_initial']);
    expect(await columns()).toEqual(before);
    const runs = await db.query<{ outcome: string; error: { code: string } | null }>('select outcome, error from stagegate.runs order by id');
    expect(runs[runs.length - 1]).toEqual({ outcome: 'failed', error: expect.objectContaining({ code: 'DRIFT_DETECTED' }) });
  });

  it('finds a unique index left INVALID by a rebuild by hand, though its definition reads the same', async () => {
    // Prepare: the unique index its migration made was rebuilt by hand over duplicates, and the rebuild failed
    await runOnFolder(ws.migrations({ ...V2, 'org/0003_index.sql': 'CREATE UNIQUE INDEX organization_slug ON organization (slug);' }), db.url, { action: 'migrate' });
    await db.query('DROP INDEX organization_slug');
    await db.query("INSERT INTO organization (name, slug) VALUES ('a', 'same'), ('b', 'same')");
    await expect(db.query('CREATE UNIQUE INDEX CONCURRENTLY organization_slug ON organization (slug)')).rejects.toThrow('could not create unique index');
    // Act
    const error = await failure(drift());
    // Assess
    expect(error.code).toBe('DRIFT_DETECTED');
    expect(error.details.differences).toEqual([
      {
        kind: 'index',
        name: 'public.organization.organization_slug',
        change: 'changed',
        expected: 'CREATE UNIQUE INDEX organization_slug ON public.organization USING btree (slug)',
        actual: 'CREATE UNIQUE INDEX organization_slug ON public.organization USING btree (slug) INVALID',
      },
    ]);
  });

  it('names a table created by hand before its migration', async () => {
    // Prepare
    await runOnFolder(ws.migrations(V1), db.url, { action: 'migrate' });
    await db.query('CREATE TABLE organization_type (id serial PRIMARY KEY, name text)');
    const folder = ws.migrations({ ...V1, 'org/0002_type.sql': 'CREATE TABLE organization_type (id serial PRIMARY KEY, name text);' });
    // Act
    const error = await failure(runOnFolder(folder, db.url, { action: 'migrate' }));
    // Assess
    expect(error.code).toBe('DRIFT_DETECTED');
    expect(error.message).toContain('table public.organization_type added outside migrations');
    expect(error.message).toContain('column public.organization_type.name added outside migrations (text)');
    expect(error.remedy).toContain('pending migration org/0002_type makes some of them: `stagegate adopt org/0002_type` records it as applied once the objects are proven to be what it makes');
    expect(await ledgerIds()).toEqual(['org/0001_initial']);
  });

  it('with warn, reports the drift and runs; the drift is still reported afterwards', async () => {
    // Prepare
    await runOnFolder(ws.migrations(V1), db.url, { action: 'migrate' });
    await db.query('ALTER TABLE organization ADD COLUMN type_id integer');
    const logger = new MemoryLogger();
    // Act
    const result = await runOnFolder(ws.migrations(V2), db.url, { action: 'migrate' }, { settings: { drift: 'warn' }, logger });
    const status = await runOnFolder(ws.migrations(V2), db.url, { action: 'status' });
    const later = await failure(runOnFolder(ws.migrations(V3), db.url, { action: 'migrate' }));
    // Assess
    expect(result.applied.map((a) => a.id)).toEqual(['org/0002_slug']);
    expect(result.drift?.differences.map((d) => d.name)).toEqual(['public.organization.type_id']);
    expect(logger.events.find((e) => e.event === 'drift.detected')?.data.differences).toEqual(['  - column public.organization.type_id added outside migrations (integer)']);
    // The migration's own column is in the new baseline; the hand-made one is still drift.
    expect(status.drift).toMatchObject({ baseline: true, differences: [expect.objectContaining({ name: 'public.organization.type_id' })] });
    expect((later.details.differences as { name: string }[]).map((d) => d.name)).toEqual(['public.organization.type_id']);
  });

  it('shows the drift on demand, and --accept makes it the baseline with the reason in the run history', async () => {
    // Prepare
    await runOnFolder(ws.migrations(V1), db.url, { action: 'migrate' });
    const clean = await drift();
    await db.query('ALTER TABLE organization ADD COLUMN type_id integer');
    // Act
    const shown = await failure(drift());
    const accepted = await drift({ reason: 'added during the incident' });
    const after = await drift();
    const run = await runOnFolder(ws.migrations(V2), db.url, { action: 'migrate' });
    // Assess
    expect(clean).toMatchObject({ ok: true, baseline: true, differences: [] });
    expect(shown.code).toBe('DRIFT_DETECTED');
    expect(shown.remedy).not.toContain('Nothing was run');
    expect(shown.message).toContain('column public.organization.type_id added outside migrations');
    expect(accepted.accepted?.map((d) => d.name)).toEqual(['public.organization.type_id']);
    expect(after.differences).toEqual([]);
    expect(run.applied.map((a) => a.id)).toEqual(['org/0002_slug']);
    const [row] = await db.query<{ action: string; actor: string; outcome: string; details: { reason: string; accepted: { name: string }[] } }>(
      "select action, actor, outcome, details from stagegate.runs where action = 'drift-accept'",
    );
    expect(row).toMatchObject({ action: 'drift-accept', actor: 'test', outcome: 'succeeded', details: { reason: 'added during the incident' } });
    expect(row?.details.accepted.map((d) => d.name)).toEqual(['public.organization.type_id']);
  });

  it('does no drift work on the up-to-date path: a drifted database still reports up to date', async () => {
    // Prepare
    const folder = ws.migrations(V1);
    await runOnFolder(folder, db.url, { action: 'migrate' });
    await db.query('ALTER TABLE organization ADD COLUMN type_id integer');
    const logger = new MemoryLogger();
    // Act
    const result = await runOnFolder(folder, db.url, { action: 'migrate' }, { logger });
    // Assess
    expect(result.status).toBe('up-to-date');
    expect(logger.events.filter((e) => e.event.startsWith('drift.'))).toEqual([]);
    expect(await failure(drift())).toMatchObject({ code: 'DRIFT_DETECTED' });
  });

  it('takes no baseline for granted: the first run on a fresh database checks nothing, then stores one', async () => {
    // Prepare
    await db.query('CREATE TABLE made_before (id int)');
    const logger = new MemoryLogger();
    // Act
    const plan = await runOnFolder(ws.migrations(V1), db.url, { action: 'plan' });
    await runOnFolder(ws.migrations(V1), db.url, { action: 'migrate' }, { logger });
    const stored = await db.query<{ n: string }>("select count(*) as n from stagegate.schema_objects where name like 'public.organization%'");
    // Assess
    expect(plan.drift).toMatchObject({ baseline: false, differences: [] });
    expect(logger.events.find((e) => e.event === 'drift.skipped')?.data.reason).toContain('no baseline yet');
    expect(Number(stored[0]?.n)).toBeGreaterThan(2);
    expect((await drift()).differences).toEqual([]);
  });

  it('keeps the baseline of migrations committed before a failure, so the next run is not refused', async () => {
    // Prepare
    const broken = { ...V2, 'org/0003_broken.sql': 'ALTER TABLE organization ADD COLUMN missing_ref int REFERENCES nowhere (id);' };
    await runOnFolder(ws.migrations(V1), db.url, { action: 'migrate' });
    // Act
    const error = await failure(runOnFolder(ws.migrations(broken), db.url, { action: 'migrate' }));
    const rerun = await runOnFolder(ws.migrations(V3), db.url, { action: 'migrate' });
    // Assess
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(rerun.applied.map((a) => a.id)).toEqual(['org/0003_index']);
  });

  it('does not refuse a run after one that ended before storing its baseline: the stale baseline is not compared', async () => {
    // Prepare: V2 applied, but the baseline is the one V1 left (as after a lost connection)
    await runOnFolder(ws.migrations(V1), db.url, { action: 'migrate' });
    const [old] = await db.query<{ value: string }>("select value from stagegate.meta where key = 'schema_baseline'");
    const objects = await db.query('select * from stagegate.schema_objects');
    await runOnFolder(ws.migrations(V2), db.url, { action: 'migrate' });
    await db.query("update stagegate.meta set value = $1 where key = 'schema_baseline'", [old?.value]);
    await db.query('truncate stagegate.schema_objects');
    for (const o of objects) await db.query('insert into stagegate.schema_objects values ($1, $2, $3)', [o.kind, o.name, o.definition]);
    const logger = new MemoryLogger();
    // Act
    const status = await runOnFolder(ws.migrations(V3), db.url, { action: 'status' });
    const result = await runOnFolder(ws.migrations(V3), db.url, { action: 'migrate' }, { logger });
    // Assess
    expect(status.drift).toMatchObject({ baseline: false, stale: true });
    expect(result.applied.map((a) => a.id)).toEqual(['org/0003_index']);
    expect(logger.events.find((e) => e.event === 'drift.skipped')?.data.reason).toContain('older than the ledger');
    expect(await drift()).toMatchObject({ baseline: true, stale: false, differences: [] });
  });

  it('checks drift before a reverse (migrate --to) too, and stores the baseline after a run that reverted', async () => {
    // Prepare
    const reversible = ws.migrations({ ...V2, 'org/0002_slug.down.sql': 'ALTER TABLE organization DROP COLUMN slug;' });
    await runOnFolder(reversible, db.url, { action: 'migrate' });
    await db.query('ALTER TABLE organization ADD COLUMN type_id integer');
    // Act
    const refused = await failure(runOnFolder(reversible, db.url, { action: 'migrate', target: 'org/0001_initial' }));
    const keptIds = await ledgerIds();
    await drift({ reason: 'type_id stays' });
    const reverted = await runOnFolder(reversible, db.url, { action: 'migrate', target: 'org/0001_initial' });
    const after = await drift();
    // Assess
    expect(refused.code).toBe('DRIFT_DETECTED');
    expect(keptIds).toEqual(['org/0001_initial', 'org/0002_slug']);
    expect(reverted).toMatchObject({ status: 'reverted', reverted: [{ id: 'org/0002_slug' }] });
    expect(await columns()).toEqual(['id', 'name', 'type_id']);
    // Stored after the reverse: otherwise the changed ledger would leave it stale, comparing nothing.
    expect(after).toMatchObject({ baseline: true, stale: false, differences: [] });
  });
});

