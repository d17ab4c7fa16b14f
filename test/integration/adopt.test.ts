import pg from 'pg';
import { FolderBundleSource } from '../../lib/adapters/fs/folder-bundle-source';
import { PgMigrationDatabase, PgScratchDatabases } from '../../lib/adapters/postgres';
import { adoptMigration, type AdoptRequest } from '../../lib/adopt';
import { driftCommand } from '../../lib/drift';
import { adminUrl, createTestDatabase, type TestDatabase } from '../support/database';
import { failure } from '../support/failure';
import { createWorkspace, MemoryLogger, runOnFolder, TEST_SETTINGS, type Workspace } from '../support/workspace';

const HISTORY = {
  'app/0001_org.sql': 'CREATE TABLE org (id bigserial PRIMARY KEY, name text NOT NULL);',
  'app/0002_org_type.sql': 'CREATE TABLE org_type (id bigserial PRIMARY KEY, org_id bigint NOT NULL REFERENCES org (id), code bigint NOT NULL);\nCREATE INDEX org_type_org ON org_type (org_id);',
  'app/0003_org_slug.sql': 'ALTER TABLE org ADD COLUMN slug text;',
};
const HAND_MADE = 'CREATE TABLE org_type (id bigserial PRIMARY KEY, org_id bigint NOT NULL REFERENCES org (id), code bigint NOT NULL); CREATE INDEX org_type_org ON org_type (org_id)';

describe('Integration: stagegate adopt on a real PostgreSQL', () => {
  let db: TestDatabase;
  let ws: Workspace;
  let folder: string;
  beforeEach(async () => {
    db = await createTestDatabase();
    ws = createWorkspace();
    await runOnFolder(ws.migrations({ 'app/0001_org.sql': HISTORY['app/0001_org.sql'] }), db.url, { action: 'migrate' });
    folder = ws.migrations(HISTORY);
  });
  afterEach(async () => {
    await db.drop();
    ws.remove();
  });

  const adopt = (request: Partial<AdoptRequest> & Pick<AdoptRequest, 'id'>, url = db.url): ReturnType<typeof adoptMigration> =>
    adoptMigration(
      {
        source: new FolderBundleSource(folder),
        db: new PgMigrationDatabase({ connectionString: url, lockPollMs: 20 }),
        scratch: new PgScratchDatabases(url, 'stagegate'),
        logger: new MemoryLogger(),
        clock: { now: () => Date.now() },
      },
      { actor: 'test', ...request },
      TEST_SETTINGS,
    );
  const ledger = async (): Promise<Record<string, string>> =>
    Object.fromEntries((await db.query<{ id: string; method: string }>('select id, method from stagegate.migrations')).map((r) => [r.id, r.method]));
  // Only adopt's own scratch databases: other test files create theirs (squash, check) at the same time.
  const scratchLeft = async (): Promise<number> =>
    Number((await db.query<{ n: string }>("select count(*) as n from pg_database where datname like 'stagegate\\_scratch\\_stagegate\\_adopt\\_%'"))[0]?.n);

  it('adopts a table made by hand that matches its migration, then migrate runs the rest', async () => {
    // Prepare: the field report: the table was made by hand, so migrate stops
    await db.query(HAND_MADE);
    const refused = await failure(runOnFolder(folder, db.url, { action: 'migrate' }));
    const scratchBefore = await scratchLeft();
    // Act
    const result = await adopt({ id: 'app/0002_org_type' });
    const rest = await runOnFolder(folder, db.url, { action: 'migrate' });
    // Assess
    expect(refused.code).toBe('DRIFT_DETECTED');
    expect(refused.message).toContain('table public.org_type added outside migrations');
    expect(result).toMatchObject({ ok: true, id: 'app/0002_org_type', verified: true, skipped: [], baselineUpdated: true });
    expect(result.objects).toEqual(expect.arrayContaining(['table public.org_type', 'column public.org_type.code', 'index public.org_type.org_type_org', 'sequence public.org_type_id_seq']));
    expect(await ledger()).toEqual({ 'app/0001_org': 'executed', 'app/0002_org_type': 'adopted', 'app/0003_org_slug': 'executed' });
    expect(rest.applied.map((a) => a.id)).toEqual(['app/0003_org_slug']);
    const [run] = await db.query<{ outcome: string; applied: string[]; details: { verified: boolean } }>("select outcome, applied, details from stagegate.runs where action = 'adopt'");
    expect(run).toMatchObject({ outcome: 'succeeded', applied: ['app/0002_org_type'], details: { verified: true } });
    expect(await scratchLeft()).toBe(scratchBefore);
  });

  it('refuses a hand-made table whose column has another type, showing the difference, and writes nothing', async () => {
    // Prepare
    await db.query(HAND_MADE.replace('code bigint', 'code integer'));
    const runsBefore = await db.query('select * from stagegate.runs');
    // Act
    const error = await failure(adopt({ id: 'app/0002_org_type' }));
    // Assess
    expect(error.code).toBe('ADOPT_REFUSED');
    expect(error.message).toContain('app/0002_org_type');
    expect(error.message).toContain('column public.org_type.code: live integer not null, migration bigint not null');
    expect(error.details.differences).toEqual([
      { kind: 'column', name: 'public.org_type.code', change: 'changed', expected: 'bigint not null', actual: 'integer not null' },
    ]);
    expect(error.remedy).toContain('Nothing was written.');
    expect(await ledger()).toEqual({ 'app/0001_org': 'executed' });
    expect(await db.query('select * from stagegate.runs')).toEqual(runsBefore);
  });

  it('refuses an index a failed CREATE INDEX CONCURRENTLY left INVALID: it is not what the migration makes', async () => {
    // Prepare: every migration so far applied, then duplicate names; the index built by hand fails and stays INVALID
    await runOnFolder(folder, db.url, { action: 'migrate' });
    await db.query("INSERT INTO org (name) VALUES ('same'), ('same')");
    await expect(db.query('CREATE UNIQUE INDEX CONCURRENTLY org_name ON org (name)')).rejects.toThrow('could not create unique index');
    folder = ws.migrations({ ...HISTORY, 'app/0004_org_name.sql': '-- stagegate:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY org_name ON org (name);' });
    // Act
    const error = await failure(adopt({ id: 'app/0004_org_name' }));
    // Assess
    expect(error.code).toBe('ADOPT_REFUSED');
    expect(error.message).toContain('index public.org.org_name: live CREATE UNIQUE INDEX org_name ON public.org USING btree (name) INVALID');
    expect(await ledger()).not.toHaveProperty('app/0004_org_name');
  });

  it('refuses a migration whose dependencies are not applied, naming them, and one already applied', async () => {
    // Act
    const early = await failure(adopt({ id: 'app/0003_org_slug' }));
    const applied = await failure(adopt({ id: 'app/0001_org' }));
    // Assess
    expect(early.code).toBe('ADOPT_REFUSED');
    expect(early.message).toContain('not applied: app/0002_org_type');
    expect(applied.message).toContain('already applied');
  });

  it('refuses over a ledger that disagrees with the bundle, as migrate does', async () => {
    // Prepare: the applied migration was edited since
    await db.query(HAND_MADE);
    folder = ws.migrations({ ...HISTORY, 'app/0001_org.sql': 'CREATE TABLE org (id bigserial PRIMARY KEY, name text);' });
    // Act
    const error = await failure(adopt({ id: 'app/0002_org_type' }));
    // Assess
    expect(error.code).toBe('CHECKSUM_MISMATCH');
    expect(await ledger()).toEqual({ 'app/0001_org': 'executed' });
  });

  it('refuses a data-only migration unless forced; --force records the reason and what was not verified', async () => {
    // Prepare
    folder = ws.migrations({ 'app/0001_org.sql': HISTORY['app/0001_org.sql'], 'app/0002_seed.sql': "INSERT INTO org (name) VALUES ('first');" });
    // Act
    const refused = await failure(adopt({ id: 'app/0002_seed' }));
    const forced = await adopt({ id: 'app/0002_seed', force: { reason: 'seeded by hand on this stage' } });
    // Assess
    expect(refused.code).toBe('ADOPT_REFUSED');
    expect(refused.message).toContain('changes no schema object');
    expect(forced).toMatchObject({ verified: false, reason: 'seeded by hand on this stage' });
    expect(forced.skipped).toEqual(['the migration changes no schema object: its effect (data) could not be compared']);
    const [run] = await db.query<{ details: { reason: string; forced: boolean; skipped: string[] } }>("select details from stagegate.runs where action = 'adopt'");
    expect(run?.details).toMatchObject({ reason: 'seeded by hand on this stage', forced: true, skipped: forced.skipped });
    expect(await ledger()).toMatchObject({ 'app/0002_seed': 'adopted' });
  });

  it('fails with SCRATCH_DATABASE_FAILED for a role without CREATEDB; --force records without the proof', async () => {
    // Prepare: a role that owns the database but may not create databases
    const role = `adopt_${Date.now()}`;
    await db.query(`create role ${role} login password 'pw-adopt-secret' nocreatedb`);
    await db.query(`alter database ${pg.escapeIdentifier(db.name)} owner to ${role}`);
    await db.query(`alter schema stagegate owner to ${role}`);
    for (const table of ['migrations', 'runs', 'meta', 'schema_objects', 'runs_id_seq']) await db.query(`alter ${table.endsWith('_seq') ? 'sequence' : 'table'} stagegate.${table} owner to ${role}`);
    await db.query(`alter table org owner to ${role}`);
    await db.query(`set role ${role}; ${HAND_MADE}; reset role`);
    const url = new URL(db.url);
    url.username = role;
    url.password = 'pw-adopt-secret';
    // Act
    const error = await failure(adopt({ id: 'app/0002_org_type' }, url.toString()));
    const forced = await adopt({ id: 'app/0002_org_type', force: { reason: 'no CREATEDB on staging' } }, url.toString());
    // Assess
    expect(error.code).toBe('SCRATCH_DATABASE_FAILED');
    expect(error.remedy).toContain('CREATEDB');
    expect(JSON.stringify(error.toJSON())).not.toContain('pw-adopt-secret');
    expect(forced).toMatchObject({ verified: false, baselineUpdated: false });
    expect(forced.skipped[0]).toContain('the whole proof');
    expect(await ledger()).toMatchObject({ 'app/0002_org_type': 'adopted' });
    await db.query(`alter database ${pg.escapeIdentifier(db.name)} owner to ${pg.escapeIdentifier(new URL(adminUrl()).username)}`);
  });

  it('--force over a difference records it, lists it as not verified, and takes the live objects as the baseline', async () => {
    // Prepare
    await db.query(HAND_MADE.replace('code bigint', 'code integer'));
    const database = new PgMigrationDatabase({ connectionString: db.url, lockPollMs: 20 });
    // Act
    const forced = await adopt({ id: 'app/0002_org_type', force: { reason: 'the type is fixed in 0004' } });
    const drift = await driftCommand({ db: database, logger: new MemoryLogger() }, { actor: 'test' }, TEST_SETTINGS);
    const rest = await runOnFolder(folder, db.url, { action: 'migrate' });
    // Assess
    expect(forced).toMatchObject({ verified: false, baselineUpdated: true, skipped: ['column public.org_type.code: live integer not null, migration bigint not null'] });
    expect(drift.differences).toEqual([]);
    expect(rest.applied.map((a) => a.id)).toEqual(['app/0003_org_slug']);
  });
  it('refuses a migration that also seeds rows, since they were never compared; --force lists them as not verified', async () => {
    // Prepare: the table was made by hand, but empty; the migration would also have filled it
    folder = ws.migrations({ 'app/0001_org.sql': HISTORY['app/0001_org.sql'], 'app/0002_org_type.sql': `${HAND_MADE};\nINSERT INTO org_type (org_id, code) SELECT id, 1 FROM org;` });
    await db.query(HAND_MADE);
    // Act
    const refused = await failure(adopt({ id: 'app/0002_org_type' }));
    const ledgerAfterRefusal = await ledger();
    const forced = await adopt({ id: 'app/0002_org_type', force: { reason: 'no org rows on this stage' } });
    // Assess
    expect(refused.code).toBe('ADOPT_REFUSED');
    expect(refused.message).toContain('INSERT INTO org_type at app/0002_org_type.sql:2');
    expect(ledgerAfterRefusal).toEqual({ 'app/0001_org': 'executed' });
    expect(forced).toMatchObject({ verified: false, skipped: ['INSERT INTO org_type at app/0002_org_type.sql:2: its rows could not be compared'] });
  });

  it('adopts a migration that depends on one replaced by a squash that ran on a fresh database', async () => {
    // Prepare: the squash ran instead of app/0001 and app/0002; other/0001 depends on app/0002 (that is, on the squash)
    folder = ws.migrations({
      ...HISTORY,
      'app/0004_squashed.sql': `-- stagegate:replaces app/0001_org app/0002_org_type\n${HISTORY['app/0001_org.sql']}\n${HAND_MADE};`,
      'other/0001_member.sql': '-- stagegate:depends-on app/0002_org_type\nCREATE TABLE member (org_type_id bigint REFERENCES org_type (id));',
    });
    await db.query('DROP TABLE org; DELETE FROM stagegate.migrations');
    await runOnFolder(folder, db.url, { action: 'migrate', target: 'app/0004_squashed' });
    await db.query('CREATE TABLE member (org_type_id bigint REFERENCES org_type (id))');
    // Act
    const result = await adopt({ id: 'other/0001_member' });
    // Assess
    expect(result).toMatchObject({ verified: true, skipped: [] });
    expect(await ledger()).toEqual({ 'app/0004_squashed': 'executed', 'other/0001_member': 'adopted' });
  });

  it('keeps to a deadline: no replay starts after it, and one in flight is cut at it; nothing is written', async () => {
    // Prepare: a slow migration in the history the proof replays
    const slow = { 'app/0001_org.sql': HISTORY['app/0001_org.sql'], 'app/0002_slow.sql': 'SELECT pg_sleep(3);' };
    await runOnFolder(ws.migrations(slow), db.url, { action: 'migrate' });
    folder = ws.migrations({ ...slow, 'app/0003_org_type.sql': HISTORY['app/0002_org_type.sql'] });
    await db.query(HAND_MADE);
    // Act
    const late = await failure(adopt({ id: 'app/0003_org_type', stopAt: Date.now() - 1 }));
    const cut = await failure(adopt({ id: 'app/0003_org_type', stopAt: Date.now() + 1000 }));
    // Assess
    expect(late).toMatchObject({ code: 'ADOPT_REFUSED', details: { outOfTime: 'app/0001_org' } });
    expect(late.remedy).toContain('longer timeout');
    expect(cut.code).toBe('ADOPT_REFUSED');
    expect(cut.message).toContain('replaying app/0002_slow on a scratch database failed');
    expect(cut.remedy).toContain('It was cut at the invocation\'s deadline');
    expect(cut.details.replayFailed).toMatchObject({ sqlstate: '57014' });
    expect(await ledger()).toEqual({ 'app/0001_org': 'executed', 'app/0002_slow': 'executed' });
  });
});
