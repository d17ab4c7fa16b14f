import { PgMigrationDatabase } from '../../lib/adapters/postgres';
import { LIVE_STAMP_SQL } from '../../lib/adapters/postgres/schema-units';
import { driftCommand } from '../../lib/drift';
import { resolveMigration } from '../../lib/resolve';
import { useTestDatabase } from '../support/database';
import { failure } from '../support/failure';
import { MemoryLogger, runOnFolder, useWorkspace } from '../support/workspace';

// Service A owns the tables; B is a second installation in the same database whose migrations change nothing A fingerprints.
const A1 = { 'org/0001_initial.sql': 'CREATE TABLE organization (id bigserial PRIMARY KEY, name text NOT NULL);' };
const A2 = { ...A1, 'org/0002_slug.sql': 'ALTER TABLE organization ADD COLUMN slug text;' };
const B1 = {
  'data/0001_seed.sql': "SELECT 'seed';",
  'data/0002_more.sql': "SELECT 'more';",
};

describe('Integration: two stagegate ledgers in one database leave each other out of drift', () => {
  const db = useTestDatabase();
  const ws = useWorkspace();

  const migrateA = (files: Record<string, string>): ReturnType<typeof runOnFolder> => runOnFolder(ws.migrations(files), db.url, { action: 'migrate' }, { schema: 'svc_a' });
  const migrateB = (): ReturnType<typeof runOnFolder> => runOnFolder(ws.migrations(B1), db.url, { action: 'migrate' }, { schema: 'svc_b' });
  const driftA = (): ReturnType<typeof driftCommand> =>
    driftCommand({ db: new PgMigrationDatabase({ connectionString: db.url, schema: 'svc_a', lockPollMs: 20 }), logger: new MemoryLogger() }, { actor: 'test' }, { lockWaitMs: 5_000 });
  const storedNames = async (): Promise<string[]> => (await db.query<{ name: string }>('select name from svc_a.schema_objects order by name')).map((r) => r.name);
  const liveStampA = async (): Promise<string> => (await db.query<{ stamp: string }>(`select (${LIVE_STAMP_SQL}) as stamp`, [['svc_a']]))[0]!.stamp;
  const storedStampA = async (): Promise<string> => (await db.query<{ stamp: string }>("select split_part(value, ' ', 1) as stamp from svc_a.meta where key = 'schema_baseline'"))[0]!.stamp;

  const mark = async (schema: string): Promise<string | null> =>
    (await db.query<{ mark: string | null }>('select obj_description(to_regclass($1), \'pg_class\') as mark', [`${schema}.migrations`]))[0]!.mark;

  it('does not take the ledger another installation creates for drift, recognised by its mark whatever its columns', async () => {
    // Prepare: A stores its baseline, then B creates its ledger, and B's migrations table changes as a later ledger version might
    await migrateA(A1);
    await migrateB();
    await db.query('ALTER TABLE svc_b.migrations DROP COLUMN error');
    // Act
    const result = await migrateA(A2);
    // Assess
    expect(result.applied.map((a) => a.id)).toEqual(['org/0002_slug']);
    expect(await driftA()).toMatchObject({ baseline: true, differences: [] });
    expect((await storedNames()).filter((n) => n.startsWith('svc_b'))).toEqual([]);
  });

  it('recognises a ledger made before the mark by its tables, and ignores that ledger being upgraded', async () => {
    // Prepare: B's ledger as an older stagegate made it (no mark), there before A's baseline; then a newer stagegate changes B's tables
    await migrateB();
    await db.query('COMMENT ON TABLE svc_b.migrations IS NULL');
    await migrateA(A1);
    const stamp = await liveStampA();
    await db.query('ALTER TABLE svc_b.runs ADD COLUMN later jsonb');
    await db.query('CREATE INDEX runs_later ON svc_b.runs (started_at)');
    // Act
    const stampAfter = await liveStampA();
    const result = await migrateA(A2);
    // Assess: the catalog stamp did not move, so the check read no definition
    expect(stampAfter).toBe(stamp);
    expect(result.applied.map((a) => a.id)).toEqual(['org/0002_slug']);
  });

  it('marks a ledger it upgrades from an older revision', async () => {
    // Prepare: a ledger of revision 3, made before the mark
    await migrateB();
    await db.query('COMMENT ON TABLE svc_b.migrations IS NULL');
    await db.query("UPDATE svc_b.meta SET value = '3' WHERE key = 'ledger_revision'");
    // Act
    await runOnFolder(ws.migrations({ ...B1, 'data/0003_last.sql': "SELECT 'last';" }), db.url, { action: 'migrate' }, { schema: 'svc_b' });
    // Assess
    expect(await mark('svc_b')).toMatch(/^stagegate ledger: /);
  });

  it('still reports real drift next to another ledger, and only that', async () => {
    // Prepare
    await migrateA(A1);
    await migrateB();
    await db.query('ALTER TABLE organization ADD COLUMN type_id integer');
    // Act
    const error = await failure(migrateA(A2));
    // Assess
    expect(error.code).toBe('DRIFT_DETECTED');
    expect(error.details.differences).toEqual([{ kind: 'column', name: 'public.organization.type_id', change: 'added', expected: null, actual: 'integer' }]);
  });

  it('still manages a schema of the application whose tables are named like a ledger\'s', async () => {
    // Prepare: "reports" has migrations, runs and meta tables, with some of the ledger's columns, but is no ledger
    const lookalike = {
      ...A1,
      'org/0002_reports.sql': `CREATE SCHEMA reports;
CREATE TABLE reports.migrations (id text PRIMARY KEY, checksum text, state text, method text, bundle_id text, applied_by text);
COMMENT ON TABLE reports.migrations IS 'migrations of the reports service';
CREATE TABLE reports.runs (id bigint);
CREATE TABLE reports.meta (key text, value text);`,
    };
    await migrateA(lookalike);
    await migrateB();
    await db.query('ALTER TABLE reports.migrations ADD COLUMN db_user text');
    // Act
    const error = await failure(migrateA({ ...lookalike, 'org/0003_slug.sql': 'ALTER TABLE organization ADD COLUMN slug text;' }));
    // Assess
    expect(error.code).toBe('DRIFT_DETECTED');
    expect(error.details.differences).toEqual([{ kind: 'column', name: 'reports.migrations.db_user', change: 'added', expected: null, actual: 'text' }]);
  });

  it('compares a baseline stored with the other ledger in it (before this check) without false drift either way, then stores it without', async () => {
    // Prepare: B's ledger unrecognisable while A stores its baseline, as the older code stored it: with B's objects and units
    await migrateB();
    await db.query('COMMENT ON TABLE svc_b.migrations IS NULL');
    await db.query('ALTER TABLE svc_b.migrations RENAME TO migrations_before');
    await migrateA(A1);
    await db.query('ALTER TABLE svc_b.migrations_before RENAME TO migrations');
    const storedB = (await storedNames()).filter((n) => n.startsWith('svc_b'));
    await db.query('ALTER TABLE organization ADD COLUMN type_id integer');
    // Act
    const error = await failure(driftA());
    await db.query('ALTER TABLE organization DROP COLUMN type_id');
    const clean = await driftA();
    const result = await migrateA(A2);
    // Assess: only the real difference, none of B's stored objects
    expect(storedB).toEqual(expect.arrayContaining(['svc_b', 'svc_b.migrations_before', 'svc_b.runs.id']));
    expect(error.code).toBe('DRIFT_DETECTED');
    expect(error.details.differences).toEqual([{ kind: 'column', name: 'public.organization.type_id', change: 'added', expected: null, actual: 'integer' }]);
    expect(clean).toMatchObject({ baseline: true, differences: [] });
    expect(result.applied.map((a) => a.id)).toEqual(['org/0002_slug']);
    expect((await storedNames()).filter((n) => n.startsWith('svc_b'))).toEqual([]);
    expect(await storedStampA()).toBe(await liveStampA());
  });

  it('does not refuse resolve --applied over an INVALID index in another ledger', async () => {
    // Prepare: A's no-transaction migration failed; B's ledger holds an index a CONCURRENTLY build left INVALID
    const failing = { ...A1, 'org/0002_slow.sql': '-- stagegate:no-transaction\nSELECT 1 / 0;' };
    expect((await failure(migrateA(failing))).code).toBe('MIGRATION_FAILED');
    await migrateB();
    await expect(db.query('CREATE UNIQUE INDEX CONCURRENTLY migrations_bundle ON svc_b.migrations (bundle_id)')).rejects.toThrow('could not create unique index');
    const resolving = { db: new PgMigrationDatabase({ connectionString: db.url, schema: 'svc_a' }), logger: new MemoryLogger() };
    // Act
    const resolved = await resolveMigration(resolving, { id: 'org/0002_slow', outcome: 'applied', actor: 'test' }, { lockWaitMs: 1000 });
    // Assess
    expect(resolved).toMatchObject({ ok: true, outcome: 'applied' });
  });
});
