import { createTestDatabase, type TestDatabase, useTestDatabase } from '../support/database';
import { schemaSnapshot } from '../support/schema';
import { copyExampleApps, MemoryLogger, runOnFolder, useWorkspace } from '../support/workspace';
import { failure } from '../support/failure';

const ledgerIds = async (db: TestDatabase, schema = 'stagegate'): Promise<string[]> =>
  (await db.query<{ id: string }>(`select id from ${'"' + schema.replace(/"/g, '""') + '"'}.migrations where state = 'applied' order by id`)).map((r) => r.id);

const tableExists = async (db: TestDatabase, name: string): Promise<boolean> =>
  (await db.query<{ t: string | null }>('select to_regclass($1)::text as t', [name]))[0]?.t !== null;

describe('Integration: migrate on a real PostgreSQL', () => {
  const db = useTestDatabase();
  const ws = useWorkspace();

  it('applies the example migrations, records them, then reports up to date', async () => {
    // Prepare
    const folder = copyExampleApps(ws.dir);
    // Act
    const first = await runOnFolder(folder, db.url, { action: 'migrate' });
    const second = await runOnFolder(folder, db.url, { action: 'migrate' });
    // Assess
    expect(first.status).toBe('applied');
    expect(first.applied.map((a) => a.id)).toEqual([
      'organization/0001_initial',
      'organization/0002_organization_type',
      'membership/0001_initial',
      'organization/0003_organization_name_index',
    ]);
    expect(second).toMatchObject({ status: 'up-to-date', applied: [], pending: [], bundleId: first.bundleId });
    const rows = await db.query<{ id: string; checksum: string; bundle_id: string; applied_by: string; run_id: string }>('select * from stagegate.migrations');
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => r.bundle_id === first.bundleId && r.applied_by === 'test' && /^v1:/.test(r.checksum))).toBe(true);
    const runs = await db.query<{ outcome: string; applied: string[] }>('select outcome, applied from stagegate.runs');
    expect(runs).toEqual([{ outcome: 'succeeded', applied: first.applied.map((a) => a.id) }]);
    expect(await tableExists(db, 'membership_member')).toBe(true);
  });

  it('brings a stage that skipped a release to the same schema as a stage that got every release', async () => {
    // Prepare: three releases; stage A gets 1, 2, 3; stage B gets 1 then jumps to 3
    const release1 = { 'org/0001_initial.sql': 'CREATE TABLE org (id bigserial PRIMARY KEY, name text NOT NULL);' };
    const release2 = {
      ...release1,
      'org/0002_type.sql': 'CREATE TABLE org_type (id serial PRIMARY KEY, name text UNIQUE);\nALTER TABLE org ADD COLUMN type_id int REFERENCES org_type (id);',
      'member/0001_initial.sql': '-- stagegate:depends-on org/0002_type\nCREATE TABLE member (id bigserial PRIMARY KEY, org_id bigint REFERENCES org (id));',
    };
    const release3 = {
      ...release2,
      'org/0003_slug.sql': 'ALTER TABLE org ADD COLUMN slug text;\nCREATE UNIQUE INDEX org_slug ON org (slug);',
      'member/0002_email.sql': 'ALTER TABLE member ADD COLUMN email text NOT NULL DEFAULT \'\';',
    };
    const stageB = await createTestDatabase();
    try {
      // Act
      for (const release of [release1, release2, release3]) await runOnFolder(ws.migrations(release), db.url, { action: 'migrate' });
      await runOnFolder(ws.migrations(release1), stageB.url, { action: 'migrate' });
      const jump = await runOnFolder(ws.migrations(release3), stageB.url, { action: 'migrate' });
      // Assess
      expect(jump.applied.map((a) => a.id)).toEqual(['org/0002_type', 'member/0001_initial', 'member/0002_email', 'org/0003_slug']);
      expect(await schemaSnapshot(stageB)).toEqual(await schemaSnapshot(db));
      expect(await ledgerIds(stageB)).toEqual(await ledgerIds(db));
    } finally {
      await stageB.drop();
    }
  });

  it('stops at a failing migration: earlier ones stay applied, the failing one leaves no trace', async () => {
    // Prepare
    const folder = ws.migrations({
      'app/0001_first.sql': 'CREATE TABLE first (id int);',
      'app/0002_broken.sql': '-- adds a table, then breaks\nCREATE TABLE second (id int);\n\nALTER TABLE first\n  ADD CONSTRAINT fk FOREIGN KEY (missing_id) REFERENCES second (id);',
      'app/0003_third.sql': 'CREATE TABLE third (id int);',
    });
    // Act
    const error = await failure(runOnFolder(folder, db.url, { action: 'migrate' }));
    // Assess
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.details).toMatchObject({ migration: 'app/0002_broken', file: 'app/0002_broken.sql', line: 4, sqlstate: '42703' });
    expect(error.message).toContain('app/0002_broken.sql:4');
    expect((error.details.applied as { id: string }[]).map((a) => a.id)).toEqual(['app/0001_first']);
    expect(await ledgerIds(db)).toEqual(['app/0001_first']);
    expect(await tableExists(db, 'first')).toBe(true);
    expect(await tableExists(db, 'second')).toBe(false);
    const runs = await db.query<{ outcome: string; error: { code: string } }>('select outcome, error from stagegate.runs');
    expect(runs).toEqual([expect.objectContaining({ outcome: 'failed', error: expect.objectContaining({ code: 'MIGRATION_FAILED' }) })]);

    // Act: fix the migration and run again
    ws.migrations({
      'app/0001_first.sql': 'CREATE TABLE first (id int);',
      'app/0002_broken.sql': 'CREATE TABLE second (id int PRIMARY KEY);',
      'app/0003_third.sql': 'CREATE TABLE third (id int);',
    });
    const rerun = await runOnFolder(folder, db.url, { action: 'migrate' });
    // Assess
    expect(rerun.applied.map((a) => a.id)).toEqual(['app/0002_broken', 'app/0003_third']);
  });

  it('records a failed no-transaction migration, refuses the next run, and resolves by hand', async () => {
    // Prepare
    const files = {
      'app/0001_table.sql': 'CREATE TABLE t (id int);',
      'app/0002_index.sql': '-- stagegate:no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);\nCREATE INDEX CONCURRENTLY t_missing ON t (missing);',
    };
    const folder = ws.migrations(files);
    // Act
    const failed = await failure(runOnFolder(folder, db.url, { action: 'migrate' }));
    const refused = await failure(runOnFolder(folder, db.url, { action: 'migrate' }));
    // Assess
    expect(failed.code).toBe('MIGRATION_FAILED');
    expect(failed.details).toMatchObject({ migration: 'app/0002_index', line: 3 });
    expect(failed.remedy).toContain('stagegate resolve app/0002_index --rolled-back');
    expect(refused.code).toBe('MIGRATION_DIRTY');
    expect(refused.message).toContain('app/0002_index');
    expect(refused.remedy).toContain('--applied');
    const [row] = await db.query<{ state: string }>("select state from stagegate.migrations where id = 'app/0002_index'");
    expect(row?.state).toBe('failed');

    // Act: undo the partial effect, resolve, fix, run again
    await db.query('DROP INDEX t_id');
    const { resolveMigration } = await import('../../lib/resolve');
    const { PgMigrationDatabase } = await import('../../lib/adapters/postgres');
    const resolving = { db: new PgMigrationDatabase({ connectionString: db.url }), logger: new MemoryLogger() };
    await resolveMigration(resolving, { id: 'app/0002_index', outcome: 'rolled-back', actor: 'test', reason: 'dropped t_id by hand' }, { lockWaitMs: 1000 });
    const notDirty = await failure(resolveMigration(resolving, { id: 'app/0001_table', outcome: 'applied', actor: 'test' }, { lockWaitMs: 1000 }));
    const resolveRuns = await db.query<{ outcome: string; applied: string[]; details: unknown }>("select outcome, applied, details from stagegate.runs where action = 'resolve' order by id");
    ws.migrations({ ...files, 'app/0002_index.sql': '-- stagegate:no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);' });
    const rerun = await runOnFolder(folder, db.url, { action: 'migrate' });
    // Assess
    expect(rerun.applied.map((a) => a.id)).toEqual(['app/0002_index']);
    expect(await tableExists(db, 't_id')).toBe(true);
    // The history names each decision, also one that applied nothing, and one that was refused
    expect(notDirty.code).toBe('NOT_DIRTY');
    expect(resolveRuns).toEqual([
      { outcome: 'succeeded', applied: [], details: { id: 'app/0002_index', outcome: 'rolled-back', reason: 'dropped t_id by hand', failure: expect.objectContaining({ code: 'MIGRATION_FAILED', migration: 'app/0002_index' }) } },
      { outcome: 'failed', applied: [], details: { id: 'app/0001_table', outcome: 'applied', reason: null } },
    ]);
  });

  it('refuses resolve --applied while a failed CREATE INDEX CONCURRENTLY left its index INVALID, naming it and the ways out', async () => {
    // Prepare: the unique index fails over duplicates and stays INVALID
    const folder = ws.migrations({
      'app/0001_table.sql': "CREATE TABLE u (code text);\nINSERT INTO u VALUES ('x'), ('x');",
      'app/0002_index.sql': '-- stagegate:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY u_code ON u (code);',
    });
    expect((await failure(runOnFolder(folder, db.url, { action: 'migrate' }))).code).toBe('MIGRATION_FAILED');
    const { resolveMigration } = await import('../../lib/resolve');
    const { PgMigrationDatabase } = await import('../../lib/adapters/postgres');
    const resolving = { db: new PgMigrationDatabase({ connectionString: db.url }), logger: new MemoryLogger() };
    // Act
    const refused = await failure(resolveMigration(resolving, { id: 'app/0002_index', outcome: 'applied', actor: 'test' }, { lockWaitMs: 1000 }));
    await db.query('REINDEX INDEX u_code').catch(() => undefined);
    await db.query("DELETE FROM u WHERE ctid <> (SELECT min(ctid) FROM u)");
    await db.query('REINDEX INDEX u_code');
    const resolved = await resolveMigration(resolving, { id: 'app/0002_index', outcome: 'applied', actor: 'test' }, { lockWaitMs: 1000 });
    // Assess
    expect(refused.code).toBe('RESOLVE_REFUSED');
    expect(refused.message).toContain('index public.u.u_code is INVALID');
    expect(refused.remedy).toContain('DROP INDEX CONCURRENTLY public.u_code');
    expect(refused.remedy).toContain('stagegate resolve app/0002_index --rolled-back');
    expect(refused.remedy).toContain('REINDEX INDEX CONCURRENTLY public.u_code');
    expect(resolved).toMatchObject({ ok: true, outcome: 'applied' });
    expect(await db.query("select outcome, error->>'code' as code from stagegate.runs where action = 'resolve' order by id")).toEqual([
      { outcome: 'failed', code: 'RESOLVE_REFUSED' },
      { outcome: 'succeeded', code: null },
    ]);
  });

  it('resolves --applied over a partitioned table\'s own index, INVALID by design until its partitions\' are attached', async () => {
    // Prepare: 0001 leaves p_x INVALID on purpose (ON ONLY); the no-transaction 0002 fails after its first statement
    const folder = ws.migrations({
      'app/0001_parted.sql': 'CREATE TABLE p (x int) PARTITION BY RANGE (x);\nCREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);\nCREATE INDEX p_x ON ONLY p (x);',
      'app/0002_mood.sql': "-- stagegate:no-transaction\nCREATE TYPE mood AS ENUM ('ok');\nSELECT 1/0;",
    });
    expect((await failure(runOnFolder(folder, db.url, { action: 'migrate' }))).code).toBe('MIGRATION_FAILED');
    const { resolveMigration } = await import('../../lib/resolve');
    const { PgMigrationDatabase } = await import('../../lib/adapters/postgres');
    // Act
    const resolved = await resolveMigration({ db: new PgMigrationDatabase({ connectionString: db.url }), logger: new MemoryLogger() }, { id: 'app/0002_mood', outcome: 'applied', actor: 'test' }, { lockWaitMs: 1000 });
    // Assess
    expect(resolved).toMatchObject({ ok: true, outcome: 'applied' });
    expect(await db.query("select id, state from stagegate.migrations order by id")).toEqual([
      { id: 'app/0001_parted', state: 'applied' },
      { id: 'app/0002_mood', state: 'applied' },
    ]);
  });

  it('refuses edited applied migrations, listing each, and runs nothing', async () => {
    // Prepare
    await runOnFolder(ws.migrations({ 'a/0001_x.sql': 'CREATE TABLE x (id int);', 'a/0002_y.sql': 'CREATE TABLE y (id int);' }), db.url, { action: 'migrate' });
    const folder = ws.migrations({ 'a/0001_x.sql': 'CREATE TABLE x (id bigint);', 'a/0002_y.sql': 'CREATE TABLE y (id bigint);', 'a/0003_z.sql': 'CREATE TABLE z (id int);' });
    // Act
    const error = await failure(runOnFolder(folder, db.url, { action: 'migrate' }));
    const planError = await failure(runOnFolder(folder, db.url, { action: 'plan' }));
    // Assess
    expect(error.code).toBe('CHECKSUM_MISMATCH');
    expect((error.details.mismatches as { id: string; file: string }[]).map((m) => m.file)).toEqual(['a/0001_x.sql', 'a/0002_y.sql']);
    expect(planError.code).toBe('CHECKSUM_MISMATCH');
    expect(await tableExists(db, 'z')).toBe(false);
  });

  it('refuses a bundle older than the database, naming what it lacks', async () => {
    // Prepare
    const older = { 'a/0001_x.sql': 'CREATE TABLE x (id int);' };
    await runOnFolder(ws.migrations({ ...older, 'a/0002_y.sql': 'CREATE TABLE y (id int);' }), db.url, { action: 'migrate' });
    // Act
    const error = await failure(runOnFolder(ws.migrations(older), db.url, { action: 'migrate' }));
    // Assess
    expect(error.code).toBe('DATABASE_AHEAD');
    expect(error.details.unknown).toEqual(['a/0002_y']);
  });

  it('says an applied migration whose file was renamed looks renamed, naming both files, instead of "a newer release"', async () => {
    // Prepare: a/0002_y applied, then its file renamed to a/0002_why with the same text
    const x = { 'a/0001_x.sql': 'CREATE TABLE x (id int);' };
    await runOnFolder(ws.migrations({ ...x, 'a/0002_y.sql': 'CREATE TABLE y (id int);' }), db.url, { action: 'migrate' });
    // Act
    const renamed = await failure(runOnFolder(ws.migrations({ ...x, 'a/0002_why.sql': 'CREATE TABLE y (id int);' }), db.url, { action: 'migrate' }));
    const deleted = await failure(runOnFolder(ws.migrations(x), db.url, { action: 'migrate' }));
    // Assess
    expect(renamed.code).toBe('DATABASE_AHEAD');
    expect(renamed.message).toContain('a/0002_y looks renamed to a/0002_why.sql');
    expect(renamed.remedy).toContain('give a/0002_why.sql its applied name back: a/0002_y.sql');
    expect(renamed.remedy).toContain('If it was not renamed: This stage already runs a newer release');
    expect(renamed.details).toMatchObject({ unknown: ['a/0002_y'], renamed: [{ id: 'a/0002_y', to: 'a/0002_why', file: 'a/0002_why.sql' }] });
    expect(deleted.remedy).toContain('restore its file');
    expect(deleted.details).toMatchObject({ unknown: ['a/0002_y'], renamed: [] });
    expect(await ledgerIds(db)).toEqual(['a/0001_x', 'a/0002_y']);
  });

  it('names the reverse script of a renamed migration too, so that following the remedy lets the next run proceed', async () => {
    // Prepare: a/0002_y applied, then its file and its reverse script renamed together
    const x = { 'a/0001_x.sql': 'CREATE TABLE x (id int);' };
    await runOnFolder(ws.migrations({ ...x, 'a/0002_y.sql': 'CREATE TABLE y (id int);', 'a/0002_y.down.sql': 'DROP TABLE y;' }), db.url, { action: 'migrate' });
    const renamedFiles = { ...x, 'a/0002_why.sql': 'CREATE TABLE y (id int);', 'a/0002_why.down.sql': 'DROP TABLE y;' };
    // Act: the refusal, then the files renamed back as its remedy says
    const renamed = await failure(runOnFolder(ws.migrations(renamedFiles), db.url, { action: 'migrate' }));
    const back = await runOnFolder(ws.migrations({ ...x, 'a/0002_y.sql': renamedFiles['a/0002_why.sql'], 'a/0002_y.down.sql': renamedFiles['a/0002_why.down.sql'] }), db.url, { action: 'migrate' });
    // Assess
    expect(renamed.remedy).toContain('give a/0002_why.sql and a/0002_why.down.sql their applied names back: a/0002_y.sql and a/0002_y.down.sql');
    expect(renamed.details).toMatchObject({ renamed: [{ id: 'a/0002_y', to: 'a/0002_why', file: 'a/0002_why.sql', downFile: 'a/0002_why.down.sql' }] });
    expect(back.status).toBe('up-to-date');
  });

  it('explains a foreign key to a table that a pending migration of another app creates later, and following its way out works', async () => {
    // Prepare: billing/0001 references crm's table without declaring the dependency, so it runs first (ids in order)
    const crm = { 'crm/0001_customers.sql': 'CREATE TABLE customers (id int PRIMARY KEY, email text);' };
    const invoices = 'CREATE TABLE invoices (id int PRIMARY KEY, customer_id int REFERENCES customers (id));';
    const folder = ws.migrations({ ...crm, 'billing/0001_invoices.sql': invoices });
    // Act
    const error = await failure(runOnFolder(folder, db.url, { action: 'migrate' }));
    const explanation = error.details.explanation as { liveState: string; wayOut: string };
    ws.migrations({ ...crm, 'billing/0001_invoices.sql': `-- stagegate:depends-on crm/0001_customers\n${invoices}` });
    const fixed = await runOnFolder(folder, db.url, { action: 'migrate' });
    // Assess
    expect(error.details).toMatchObject({ migration: 'billing/0001_invoices', sqlstate: '42P01' });
    expect(explanation.liveState).toContain('Pending migration crm/0001_customers creates it, but does not run before billing/0001_invoices.');
    expect(explanation.wayOut).toBe(
      'Declare the dependency: add `-- stagegate:depends-on crm/0001_customers` to the top of billing/0001_invoices.sql, so that crm/0001_customers runs first.',
    );
    expect(fixed.applied.map((a) => a.id)).toEqual(['crm/0001_customers', 'billing/0001_invoices']);
  });

  it('explains a late-merged migration adding a column an applied later one added: fix the migration, never drop it', async () => {
    // Prepare: a/0003 added the column on this stage; then a branch's a/0002 was merged, adding it too
    const applied = { 'a/0001_item.sql': 'CREATE TABLE item (id int);', 'a/0003_label.sql': 'ALTER TABLE item ADD COLUMN label text;' };
    await runOnFolder(ws.migrations(applied), db.url, { action: 'migrate' });
    // Act
    const error = await failure(runOnFolder(ws.migrations({ ...applied, 'a/0002_label_short.sql': 'ALTER TABLE item ADD COLUMN label varchar(20);' }), db.url, { action: 'migrate' }));
    // Assess
    expect(error.code).toBe('MIGRATION_FAILED');
    const explanation = error.details.explanation as { liveState: string; wayOut: string };
    expect(explanation.liveState).toContain('Applied migration a/0003_label adds it too.');
    expect(explanation.wayOut).toMatch(/^Fix the migration: a\/0003_label already added column label to item/);
    expect(explanation.wayOut).toContain('a/0002_label_short comes before a/0003_label in the bundle');
    expect(explanation.wayOut).not.toContain('drop the hand-added column');
    expect(error.remedy).toContain(explanation.wayOut);
    expect(await ledgerIds(db)).toEqual(['a/0001_item', 'a/0003_label']);
  });

  it('explains a table two apps create as made by the migration this run applied before, never by hand', async () => {
    // Prepare: two branches each created the table, in different apps
    const folder = ws.migrations({ 'a/0001_shared.sql': 'CREATE TABLE shared (id int);', 'b/0001_shared.sql': 'CREATE TABLE shared (id int, x int);' });
    // Act
    const error = await failure(runOnFolder(folder, db.url, { action: 'migrate' }));
    // Assess
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.details.applied).toEqual([expect.objectContaining({ id: 'a/0001_shared' })]);
    const explanation = error.details.explanation as { liveState: string; wayOut: string };
    expect(explanation.liveState).toContain('Applied migration a/0001_shared creates it too.');
    expect(explanation.wayOut).toMatch(/^Fix the migration: a\/0001_shared already created table shared/);
    expect(error.remedy).not.toContain('drop the hand-made table');
  });

  it('on a database whose ledger records nothing, says the tables may be an earlier history, not to drop them', async () => {
    // Prepare: the schema of an earlier history, but no ledger here (another --schema, or restored without it)
    await db.query('CREATE TABLE account (id int); INSERT INTO account VALUES (1)');
    const folder = ws.migrations({ 'a/0001_account.sql': 'CREATE TABLE account (id int);', 'a/0002_more.sql': 'ALTER TABLE account ADD COLUMN n int;' });
    // Act
    const error = await failure(runOnFolder(folder, db.url, { action: 'migrate' }));
    // Assess
    expect(error.code).toBe('MIGRATION_FAILED');
    const explanation = error.details.explanation as { liveState: string; wayOut: string };
    expect(explanation.liveState).toContain('the ledger records no migration on this database yet');
    expect(explanation.wayOut).toMatch(/^Drop nothing yet: if this database was migrated before/);
    expect(explanation.wayOut).toContain('stagegate adopt a/0001_account');
    expect(await db.query('select id from account')).toEqual([{ id: 1 }]);
  });

  describe('a squash', () => {
    const originals = {
      'a/0001_x.sql': 'CREATE TABLE x (id int);',
      'a/0002_y.sql': 'CREATE TABLE y (id int);',
      'a/0003_z.sql': 'CREATE TABLE z (id int);',
    };
    const squash = { 'a/0003_squashed.sql': '-- stagegate:replaces a/0001_x a/0002_y a/0003_z\nCREATE TABLE x (id int);\nCREATE TABLE y (id int);\nCREATE TABLE z (id int);' };
    const after = { 'a/0004_after.sql': 'CREATE TABLE w (x int);' };
    const methods = async (): Promise<Record<string, string>> =>
      Object.fromEntries((await db.query<{ id: string; method: string }>('select id, method from stagegate.migrations')).map((r) => [r.id, r.method]));

    it('runs on a fresh database instead of the originals', async () => {
      // Act
      const result = await runOnFolder(ws.migrations({ ...originals, ...squash, ...after }), db.url, { action: 'migrate' });
      // Assess
      expect(result.applied.map((a) => a.id)).toEqual(['a/0003_squashed', 'a/0004_after']);
      expect(await methods()).toEqual({ 'a/0003_squashed': 'executed', 'a/0004_after': 'executed' });
    });

    it('is recorded without running when all originals are applied', async () => {
      // Prepare
      await runOnFolder(ws.migrations(originals), db.url, { action: 'migrate' });
      // Act
      const result = await runOnFolder(ws.migrations({ ...originals, ...squash, ...after }), db.url, { action: 'migrate' });
      // Assess
      expect(result.applied).toEqual([
        { id: 'a/0003_squashed', durationMs: 0, method: 'recorded' },
        expect.objectContaining({ id: 'a/0004_after', method: 'executed' }),
      ]);
    });

    it('lets the remaining originals run when only some are applied, then records it', async () => {
      // Prepare
      await runOnFolder(ws.migrations({ 'a/0001_x.sql': originals['a/0001_x.sql'] }), db.url, { action: 'migrate' });
      // Act
      const result = await runOnFolder(ws.migrations({ ...originals, ...squash, ...after }), db.url, { action: 'migrate' });
      // Assess
      expect(result.applied.map((a) => `${a.method} ${a.id}`)).toEqual(['executed a/0002_y', 'executed a/0003_z', 'recorded a/0003_squashed', 'executed a/0004_after']);
    });

    it('refuses with SQUASH_INCOMPLETE when only some are applied and the rest were pruned', async () => {
      // Prepare
      await runOnFolder(ws.migrations({ 'a/0001_x.sql': originals['a/0001_x.sql'] }), db.url, { action: 'migrate' });
      // Act
      const error = await failure(runOnFolder(ws.migrations({ ...squash, ...after }), db.url, { action: 'migrate' }));
      // Assess
      expect(error.code).toBe('SQUASH_INCOMPLETE');
      expect(error.details).toMatchObject({ squash: 'a/0003_squashed', missing: ['a/0002_y', 'a/0003_z'] });
      expect(await tableExists(db, 'w')).toBe(false);
    });
  });

  it('fails with LOCK_TIMEOUT while another run holds the lock, and the other run finishes', async () => {
    // Prepare
    const folder = ws.migrations({ 'a/0001_slow.sql': 'SELECT pg_sleep(2);' });
    const logger = new MemoryLogger();
    // Act
    const slow = runOnFolder(folder, db.url, { action: 'migrate' }, { logger });
    while (!logger.events.some((e) => e.event === 'lock.acquired')) await new Promise((r) => setTimeout(r, 20));
    const error = await failure(runOnFolder(folder, db.url, { action: 'migrate' }, { settings: { lockWaitMs: 300 } }));
    const finished = await slow;
    // Assess
    expect(error.code).toBe('LOCK_TIMEOUT');
    // Whole milliseconds in the JSON, as every other duration.
    expect(Number.isInteger(error.details.waitedMs)).toBe(true);
    expect(error.details.waitedMs).toBeGreaterThanOrEqual(300);
    expect(finished.applied.map((a) => a.id)).toEqual(['a/0001_slow']);
  });

  it('stops between migrations when the deadline is near, and the next run finishes', async () => {
    // Prepare: a clock that jumps 50 s ahead once the first migration is applied
    const folder = ws.migrations({
      'a/0001_first.sql': 'CREATE TABLE first (id int);',
      'a/0002_next.sql': 'CREATE TABLE next (id int);',
      'a/0003_last.sql': 'CREATE TABLE last (id int);',
    });
    let skew = 0;
    const clock = { now: () => Date.now() + skew };
    const logger = new MemoryLogger();
    const info = logger.info.bind(logger);
    logger.info = (event, data) => {
      if (event === 'migration.applied') skew = 50_000;
      info(event, data);
    };
    // Act: 60 s left with a 15 s safety margin
    const partial = await runOnFolder(folder, db.url, { action: 'migrate', deadline: Date.now() + 60_000, safetyMarginMs: 15_000 }, { clock, logger });
    const rest = await runOnFolder(folder, db.url, { action: 'migrate' });
    // Assess
    expect(partial).toMatchObject({ status: 'incomplete', pending: ['a/0002_next', 'a/0003_last'] });
    expect(partial.applied.map((a) => a.id)).toEqual(['a/0001_first']);
    expect(logger.events.find((e) => e.event === 'run.stopped')?.data).toMatchObject({ next: 'a/0002_next', pending: 2 });
    expect(rest.applied.map((a) => a.id)).toEqual(['a/0002_next', 'a/0003_last']);
    const outcomes = (await db.query<{ outcome: string }>('select outcome from stagegate.runs order by id')).map((r) => r.outcome);
    expect(outcomes).toEqual(['incomplete', 'succeeded']);
  });

  it('caps statement_timeout to the time left, so a migration cannot run past the deadline', async () => {
    // Prepare
    const folder = ws.migrations({ 'a/0001_slow.sql': 'SELECT pg_sleep(5);' });
    // Act
    const error = await failure(runOnFolder(folder, db.url, { action: 'migrate', deadline: Date.now() + 700, safetyMarginMs: 200 }));
    // Assess
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.details.sqlstate).toBe('57014');
    expect(await ledgerIds(db)).toEqual([]);
  });

  it('stops as incomplete when a later migration is cut by the deadline, and rolls it back', async () => {
    // Prepare: the second migration cannot finish in what is left after the first
    const folder = ws.migrations({ 'a/0001_first.sql': 'SELECT pg_sleep(0.6);', 'a/0002_long.sql': 'CREATE TABLE long (id int);\nSELECT pg_sleep(2);' });
    // Act
    const partial = await runOnFolder(folder, db.url, { action: 'migrate', deadline: Date.now() + 1_200, safetyMarginMs: 0 });
    const rest = await runOnFolder(folder, db.url, { action: 'migrate' });
    // Assess
    expect(partial).toMatchObject({ status: 'incomplete', pending: ['a/0002_long'] });
    expect(rest.applied.map((a) => a.id)).toEqual(['a/0002_long']);
    expect(await ledgerIds(db)).toEqual(['a/0001_first', 'a/0002_long']);
  });

  it('keeps the ledger in a schema whose name needs quoting', async () => {
    // Prepare
    const schema = 'ledger"; DROP TABLE x; --';
    const folder = ws.migrations({ 'a/0001_x.sql': 'CREATE TABLE x (id int);' });
    // Act
    await runOnFolder(folder, db.url, { action: 'migrate' }, { schema });
    // Assess
    expect(await ledgerIds(db, schema)).toEqual(['a/0001_x']);
    expect(await tableExists(db, 'x')).toBe(true);
  });

  it('shows every migration state in status', async () => {
    // Prepare
    await runOnFolder(ws.migrations({ 'a/0001_x.sql': 'CREATE TABLE x (id int);' }), db.url, { action: 'migrate' });
    const folder = ws.migrations({ 'a/0001_x.sql': 'CREATE TABLE x (id int);', 'a/0002_y.sql': 'CREATE TABLE y (id int);' });
    // Act
    const status = await runOnFolder(folder, db.url, { action: 'status' });
    // Assess
    expect(status.status).toBe('pending');
    expect(status.migrations?.map((m) => [m.id, m.state])).toEqual([
      ['a/0001_x', 'applied'],
      ['a/0002_y', 'pending'],
    ]);
  });
});
