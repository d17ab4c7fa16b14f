import { RehearsalFailedError, MigrationFailedError } from '../../lib/core/errors';
import type { RehearsalOutcome } from '../../lib/core/rehearsal';
import { PgMigrationDatabase } from '../../lib/adapters/postgres';
import { type TestDatabase, useTestDatabase } from '../support/database';
import { failure } from '../support/failure';
import { runOnFolder, useWorkspace } from '../support/workspace';

/** The catalog of the managed and ledger schemas, and every ledger and runs row: what "no trace" compares. */
async function snapshot(db: TestDatabase): Promise<unknown> {
  const catalog = await db.query(
    `select n.nspname, c.relname, c.relkind, a.attname, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      where n.nspname in ('public', 'stagegate')
      order by 1, 2, 4`,
  );
  const types = await db.query(`select t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname = 'public' order by 1`);
  const ledger = (await db.query<{ t: string | null }>(`select to_regclass('stagegate.migrations')::text as t`))[0]?.t
    ? await db.query('select id, checksum, state, applied_at from stagegate.migrations order by id')
    : 'no ledger';
  const runs = (await db.query<{ t: string | null }>(`select to_regclass('stagegate.runs')::text as t`))[0]?.t
    ? await db.query('select id, action, outcome, finished_at from stagegate.runs order by id')
    : 'no runs';
  return { catalog, types, ledger, runs };
}

const rehearse = (folder: string, db: TestDatabase, settings = {}): ReturnType<typeof runOnFolder> =>
  runOnFolder(folder, db.url, { action: 'plan', rehearse: true }, { settings });

async function rehearsalFailure(folder: string, db: TestDatabase, settings = {}): Promise<RehearsalOutcome[] & { message: string }> {
  const error = await failure(rehearse(folder, db, settings));
  expect(error).toBeInstanceOf(RehearsalFailedError);
  expect(error.code).toBe('REHEARSAL_FAILED');
  return Object.assign([...(error.details.rehearsal as RehearsalOutcome[])], { message: error.message });
}

const failedOne = (outcomes: RehearsalOutcome[]): NonNullable<RehearsalOutcome['failure']> => {
  const failed = outcomes.filter((o) => o.status === 'failed');
  expect(failed).toHaveLength(1);
  return failed[0]?.failure as NonNullable<RehearsalOutcome['failure']>;
};

describe('Integration: plan --rehearse on a real PostgreSQL', () => {
  const db = useTestDatabase();
  const ws = useWorkspace();

  const ORG = { 'org/0001_initial.sql': 'CREATE TABLE org (id bigint PRIMARY KEY, name text);\n' };

  it('rehearses a fresh database and leaves no trace, not even the ledger', async () => {
    // Prepare
    const folder = ws.migrations({ ...ORG, 'org/0002_slug.sql': 'ALTER TABLE org ADD COLUMN slug text;\nCREATE UNIQUE INDEX org_slug ON org (slug);\n' });
    const before = await snapshot(db);
    // Act
    const result = await rehearse(folder, db);
    // Assess
    expect(result).toMatchObject({ ok: true, action: 'plan', status: 'rehearsed', pending: ['org/0001_initial', 'org/0002_slug'] });
    expect(result.rehearsal?.map((o) => [o.id, o.status])).toEqual([
      ['org/0001_initial', 'rehearsed'],
      ['org/0002_slug', 'rehearsed'],
    ]);
    expect(result.rehearsal?.every((o) => typeof o.durationMs === 'number')).toBe(true);
    expect(await snapshot(db)).toEqual(before);
    expect(before).toMatchObject({ ledger: 'no ledger', runs: 'no runs' });
  });

  it('rehearses pending migrations over applied ones: catalog, ledger and runs unchanged', async () => {
    // Prepare
    await runOnFolder(ws.migrations(ORG), db.url, { action: 'migrate' });
    const folder = ws.migrations({
      ...ORG,
      'org/0002_kind.sql': "CREATE TYPE org_kind AS ENUM ('a', 'b');\nALTER TABLE org ADD COLUMN kind org_kind NOT NULL DEFAULT 'a';\n",
      'member/0001_initial.sql': '-- stagegate:depends-on org/0002_kind\nCREATE TABLE member (id bigint PRIMARY KEY, org_id bigint REFERENCES org (id));\n',
    });
    const before = await snapshot(db);
    // Act
    const result = await rehearse(folder, db);
    // Assess
    expect(result.status).toBe('rehearsed');
    expect(result.rehearsal?.map((o) => o.status)).toEqual(['rehearsed', 'rehearsed']);
    expect(await snapshot(db)).toEqual(before);
  });

  it('a table two apps create: the second is explained by the first, rehearsed before it, never as made by hand', async () => {
    // Prepare
    const folder = ws.migrations({ 'a/0001_shared.sql': 'CREATE TABLE shared (id int);', 'b/0001_shared.sql': 'CREATE TABLE shared (id int, x int);' });
    // Act
    const error = await failure(rehearse(folder, db));
    // Assess
    const failed = failedOne(error.details.rehearsal as RehearsalOutcome[]);
    expect(failed.migration).toBe('b/0001_shared');
    expect(failed.explanation?.wayOut).toMatch(/^Fix the migration: a\/0001_shared already created table shared/);
    expect(failed.explanation?.wayOut).not.toContain('hand-made');
  });

  it('a table created by hand before its migration: 42P07, names table, migration and file, shows its columns, offers adopt', async () => {
    // Prepare
    await db.query('CREATE TABLE org (id integer, note text NOT NULL)');
    const folder = ws.migrations({ ...ORG, 'org/0002_slug.sql': 'ALTER TABLE org ADD COLUMN slug text;\n' });
    const before = await snapshot(db);
    // Act
    const error = await failure(rehearse(folder, db));
    // Assess
    const outcomes = error.details.rehearsal as RehearsalOutcome[];
    const failed = failedOne(outcomes);
    expect(failed).toMatchObject({ migration: 'org/0001_initial', file: 'org/0001_initial.sql', line: 1, column: 1, sqlstate: '42P07', pgMessage: 'relation "org" already exists' });
    expect(failed.statement).toContain('CREATE TABLE org');
    expect(failed.explanation?.object).toBe('table public.org');
    expect(failed.explanation?.liveState).toContain('table public.org with columns (id integer, note text not null)');
    expect(failed.explanation?.liveState).toContain('made by hand');
    expect(failed.explanation?.wayOut).toContain('stagegate adopt org/0001_initial');
    expect(failed.explanation?.wayOut).toContain('IF NOT EXISTS is not a fix');
    expect(error.message).toContain('org/0001_initial failed at org/0001_initial.sql:1:1: relation "org" already exists [SQLSTATE 42P07]');
    expect(error.message).toContain('Nothing was kept: the rehearsal rolled back.');
    expect(error.remedy).toContain('stagegate adopt org/0001_initial');
    // The second migration depends on the failed one: it is not rehearsed, and says why.
    expect(outcomes[1]).toMatchObject({ id: 'org/0002_slug', status: 'not-rehearsable', reason: 'depends on org/0001_initial, which failed' });
    expect(await snapshot(db)).toEqual(before);
  });

  it('a column added by hand: 42701, names table and column, shows the live column', async () => {
    // Prepare
    await runOnFolder(ws.migrations(ORG), db.url, { action: 'migrate' });
    await db.query("ALTER TABLE org ADD COLUMN email varchar(80) NOT NULL DEFAULT ''");
    const folder = ws.migrations({ ...ORG, 'org/0002_email.sql': '-- adds the email\n\nALTER TABLE org ADD COLUMN email text;\n' });
    const before = await snapshot(db);
    // Act
    const outcomes = await rehearsalFailure(folder, db);
    // Assess
    const failed = failedOne(outcomes);
    expect(outcomes.message).toContain('org/0002_email failed at org/0002_email.sql:3:1: column "email" of relation "org" already exists [SQLSTATE 42701]');
    expect(failed).toMatchObject({ migration: 'org/0002_email', line: 3, sqlstate: '42701', pgMessage: 'column "email" of relation "org" already exists' });
    expect(failed.explanation?.summary).toBe('org/0002_email.sql:3 adds column "email" to table org, but the table already has it.');
    expect(failed.explanation?.liveState).toBe("The live column is public.org.email character varying(80) not null default ''::character varying.");
    expect(failed.explanation?.wayOut).toContain('stagegate adopt org/0002_email');
    expect(await snapshot(db)).toEqual(before);
  });

  it('a foreign key to a missing column: 42703, names the referenced table and lists its real columns', async () => {
    // Prepare
    const folder = ws.migrations({ ...ORG, 'member/0001_initial.sql': '-- stagegate:depends-on org/0001_initial\nCREATE TABLE member (\n  id bigint PRIMARY KEY,\n  org_id bigint REFERENCES org (org_id)\n);\n' });
    const before = await snapshot(db);
    // Act
    const outcomes = await rehearsalFailure(folder, db);
    // Assess: org/0001 ran first in the rehearsal, so the table it creates is what the FK sees
    expect(outcomes.map((o) => o.status)).toEqual(['rehearsed', 'failed']);
    expect(outcomes.message).toContain('member/0001_initial failed at member/0001_initial.sql:2:1: column "org_id" referenced in foreign key constraint does not exist [SQLSTATE 42703]');
    const failed = failedOne(outcomes);
    expect(failed.explanation?.summary).toBe('member/0001_initial.sql:2 declares a foreign key to org (org_id), which does not exist: org has no column "org_id".');
    expect(failed).toMatchObject({ migration: 'member/0001_initial', line: 2, sqlstate: '42703' });
    expect(failed.explanation?.object).toBe('column org.org_id');
    expect(failed.explanation?.summary).toContain('declares a foreign key to org (org_id), which does not exist');
    expect(failed.explanation?.liveState).toBe('Table public.org has the columns (id, name).');
    expect(await snapshot(db)).toEqual(before);
  });

  it('a NOT NULL column without default on a table with rows: 23502 with the row count', async () => {
    // Prepare
    await runOnFolder(ws.migrations(ORG), db.url, { action: 'migrate' });
    await db.query("INSERT INTO org (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    const folder = ws.migrations({ ...ORG, 'org/0002_kind.sql': 'ALTER TABLE org ADD COLUMN kind text NOT NULL;\n' });
    // Act
    const failed = failedOne(await rehearsalFailure(folder, db));
    // Assess
    expect(failed).toMatchObject({ sqlstate: '23502', pgObject: { schema: 'public', table: 'org', column: 'kind' } });
    expect(failed.explanation?.summary).toBe('org/0002_kind.sql:1 adds NOT NULL column public.org.kind without a DEFAULT, and the table already has rows.');
    expect(failed.explanation?.liveState).toBe('The live table holds 3 rows.');
    expect(failed.explanation?.wayOut).toContain('DEFAULT');
    expect(await db.query('select count(*)::int as n from org')).toEqual([{ n: 3 }]);
  });

  it('a unique index over duplicate data: 23505 with the number of duplicate groups, never the values', async () => {
    // Prepare
    await runOnFolder(ws.migrations(ORG), db.url, { action: 'migrate' });
    await db.query("INSERT INTO org (id, name) VALUES (1, 'alice@example.com'), (2, 'alice@example.com'), (3, 'bob'), (4, 'bob'), (5, 'carol'), (6, NULL), (7, NULL)");
    const folder = ws.migrations({ ...ORG, 'org/0002_name.sql': 'CREATE UNIQUE INDEX org_name ON org (name);\n' });
    // Act
    const failed = failedOne(await rehearsalFailure(folder, db));
    // Assess
    expect(failed).toMatchObject({ sqlstate: '23505', facts: { duplicateGroups: 2 } });
    expect(failed.explanation?.liveState).toBe('2 groups of rows share a value of (name) (values are not shown).');
    expect(JSON.stringify(failed.explanation)).not.toContain('alice');
    expect(JSON.stringify(failed.facts)).not.toContain('alice');
    // Postgres' own detail quotes a duplicated value: the report leaves it out.
    expect(JSON.stringify(failed)).not.toContain('alice');
  });

  it('reports a no-transaction migration as not rehearsable and rehearses the others', async () => {
    // Prepare
    const folder = ws.migrations({
      ...ORG,
      'org/0002_index.sql': '-- stagegate:no-transaction\nCREATE INDEX CONCURRENTLY org_name ON org (name);\n',
      'org/0003_slug.sql': 'ALTER TABLE org ADD COLUMN slug text;\n',
    });
    const before = await snapshot(db);
    // Act
    const result = await rehearse(folder, db);
    // Assess
    expect(result.status).toBe('rehearsed');
    expect(result.rehearsal).toEqual([
      expect.objectContaining({ id: 'org/0001_initial', status: 'rehearsed' }),
      { id: 'org/0002_index', file: 'org/0002_index.sql', status: 'not-rehearsable', reason: 'no-transaction: it runs outside a transaction, so it cannot be rolled back' },
      expect.objectContaining({ id: 'org/0003_slug', status: 'rehearsed' }),
    ]);
    expect(await snapshot(db)).toEqual(before);
  });

  it('fails fast with 55P03, naming the session that holds the lock, instead of waiting behind it', async () => {
    // Prepare: a live transaction holds a lock on org
    await runOnFolder(ws.migrations(ORG), db.url, { action: 'migrate' });
    const live = await db.connect({ application_name: 'live-traffic' });
    try {
      await live.query('BEGIN');
      await live.query('LOCK TABLE org IN ROW EXCLUSIVE MODE');
      const pid = (await live.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
      const folder = ws.migrations({ ...ORG, 'org/0002_slug.sql': 'ALTER TABLE org ADD COLUMN slug text;\n' });
      const started = Date.now();
      // Act
      const failed = failedOne(await rehearsalFailure(folder, db, { rehearsalLockTimeoutMs: 300 }));
      // Assess
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(failed.sqlstate).toBe('55P03');
      expect(failed.explanation?.summary).toContain('waited longer than lock_timeout for a lock on org');
      expect(failed.explanation?.liveState).toContain(`pid ${pid} (live-traffic, idle in transaction`);
    } finally {
      await live.query('ROLLBACK');
      await live.end();
    }
  });

  it('applies every refusal of migrate: an edited applied migration is CHECKSUM_MISMATCH, and nothing runs', async () => {
    // Prepare
    await runOnFolder(ws.migrations(ORG), db.url, { action: 'migrate' });
    const folder = ws.migrations({ 'org/0001_initial.sql': 'CREATE TABLE org (id bigint PRIMARY KEY, name text, edited int);\n', 'org/0002_slug.sql': 'ALTER TABLE org ADD COLUMN slug text;\n' });
    const before = await snapshot(db);
    // Act
    const error = await failure(rehearse(folder, db));
    // Assess
    expect(error.code).toBe('CHECKSUM_MISMATCH');
    expect(await snapshot(db)).toEqual(before);
  });

  it('never races a real run: it waits for the ledger lock and gives up with LOCK_TIMEOUT', async () => {
    // Prepare: another run holds the lock
    const folder = ws.migrations(ORG);
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding = (): void => undefined;
    const locked = new Promise<void>((resolve) => (holding = resolve));
    const other = new PgMigrationDatabase({ connectionString: db.url, lockPollMs: 20 }).withLock({ waitMs: 1_000 }, async () => {
      holding();
      await held;
    });
    await locked;
    try {
      // Act
      const error = await failure(rehearse(folder, db, { lockWaitMs: 300 }));
      // Assess
      expect(error.code).toBe('LOCK_TIMEOUT');
    } finally {
      release();
      await other;
    }
  });

  it('explains a real migrate failure the same way, and the migration left no trace', async () => {
    // Prepare
    await db.query('CREATE TABLE org (id integer)');
    const folder = ws.migrations(ORG);
    // Act
    const error = await failure(runOnFolder(folder, db.url, { action: 'migrate' }));
    // Assess
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.message).toContain('org/0001_initial.sql:1 creates table "org", but the database already has one. The live database has table public.org with columns (id integer).');
    expect(error.remedy).toContain('stagegate adopt org/0001_initial');
    expect(error.details).toMatchObject({ sqlstate: '42P07', facts: { relation: { schema: 'public', name: 'org', kind: 'table' } }, explanation: { object: 'table public.org' } });
    expect(await db.query("select id from stagegate.migrations")).toEqual([]);
  });
});
