/**
 * What is specific to PostgreSQL, beyond the shared contract: the advisory
 * lock, quoting of the ledger schema, error positions and SQLSTATEs,
 * connection failures and sessions that die mid-migration.
 */
import { createServer, type Server } from 'node:net';
import pg from 'pg';
import {
  describeConnection,
  LEDGER_REVISION,
  LEDGER_VERSION,
  LOCK_CLASS_ID,
  lockKey,
  PgMigrationDatabase,
  type PgMigrationDatabaseOptions,
} from '../../lib/adapters/postgres';
import { MigrationFailedError, MigrationRunnerError, type MigrationFailure } from '../../lib/core/errors';
import { applyRequest, migration, recordRequest, type RequestContext } from '../support/builders';
import { urlFor, useTestDatabase } from '../support/database';
import { failure } from '../support/failure';

const database = useTestDatabase('file');
let schemaCount = 0;

/** A ledger schema no other test uses. */
const freshSchema = (): string => `ledger_${++schemaCount}`;

function adapter(schema: string, options: Partial<PgMigrationDatabaseOptions> = {}): PgMigrationDatabase {
  return new PgMigrationDatabase({ connectionString: database.url, schema, lockPollMs: 20, ...options } as PgMigrationDatabaseOptions);
}

/** Applies one migration in a fresh ledger and returns the failure it reports. */
async function failureOf(sql: string, context: RequestContext = {}, noTransaction = false): Promise<MigrationFailure> {
  const m = migration({ id: 'app/0001_broken', sql, noTransaction });
  const error = await failure(adapter(freshSchema()).withLock({ waitMs: 1_000 }, (s) => s.apply(applyRequest(m, context))));
  expect(error).toBeInstanceOf(MigrationFailedError);
  return (error as MigrationFailedError).failure;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Terminates the stagegate backend once it runs a query containing `marker`. */
async function terminateWhenRunning(marker: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const killed = await database.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
        where datname = $1 and application_name = 'stagegate' and query like '%' || $2 || '%' and pid <> pg_backend_pid()`,
      [database.name, marker],
    );
    if (killed.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no session ran ${marker}`);
}

describe('advisory lock', () => {
  it('times out after the wait while another session holds it, naming the holder, without blocking in Postgres', async () => {
    // Prepare
    const schema = freshSchema();
    const key = lockKey(schema);
    const holder = await database.connect({ application_name: 'other-deploy' });
    const [{ pid }] = (await holder.query('select pg_backend_pid() as pid')).rows;
    await holder.query('select pg_advisory_lock($1, $2)', [key.classId, key.objectId]);
    let waitingInsidePostgres = 0;
    // pg_locks is the whole server's: only this database's waits on this ledger's key count (other test files run at once).
    const sampler = setInterval(() => {
      void database
        .query<{ n: number }>(
          `select count(*)::int as n from pg_locks
            where locktype = 'advisory' and not granted and objid = $1::oid
              and database = (select oid from pg_database where datname = current_database())`,
          [String(key.objectId >>> 0)],
        )
        .then(([row]) => (waitingInsidePostgres += row?.n ?? 0));
    }, 50);

    // Act
    const started = Date.now();
    const error = await failure(adapter(schema).withLock({ waitMs: 500 }, async () => 'ran'));
    const waited = Date.now() - started;
    clearInterval(sampler);
    await holder.end();

    // Assess
    expect(error.code).toBe('LOCK_TIMEOUT');
    expect(waited).toBeGreaterThanOrEqual(500);
    expect(error.details.holder).toMatch(new RegExp(`^other-deploy \\(pid ${pid}, connected since \\d{4}-`));
    expect(error.message).toContain(`"${schema}"`);
    expect(waitingInsidePostgres).toBe(0);
  });

  it('lets ledgers in different schemas lock independently', async () => {
    // Prepare
    const [a, b] = [freshSchema(), freshSchema()];
    const release = deferred();
    const holding = deferred();
    const holder = adapter(a).withLock({ waitMs: 1_000 }, async () => {
      holding.resolve();
      await release.promise;
    });
    await holding.promise;

    // Act
    const other = await adapter(b).withLock({ waitMs: 0 }, async () => 'got it');
    const same = await failure(adapter(a).withLock({ waitMs: 0 }, async () => 'got it'));
    release.resolve();
    await holder;

    // Assess
    expect(other).toBe('got it');
    expect(same.code).toBe('LOCK_TIMEOUT');
    expect(lockKey(a).objectId).not.toBe(lockKey(b).objectId);
  });

  it('is free again once the session holding it dies', async () => {
    // Prepare
    const schema = freshSchema();
    const release = deferred();
    const holding = deferred();
    const holder = adapter(schema).withLock({ waitMs: 1_000 }, async () => {
      holding.resolve();
      await release.promise;
      return 'holder finished';
    });
    await holding.promise;

    // Act
    await database.query(
      "select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and classid = $1::oid and objid = $2::oid",
      [String(LOCK_CLASS_ID >>> 0), String(lockKey(schema).objectId >>> 0)],
    );
    const next = await adapter(schema).withLock({ waitMs: 5_000 }, async () => 'next run');
    release.resolve();

    // Assess
    expect(next).toBe('next run');
    await expect(holder).resolves.toBe('holder finished');
  });

  it('keys each schema with the documented class and the FNV-1a hash of its name', () => {
    // Act
    const empty = lockKey('');
    const a = lockKey('a');

    // Assess
    expect(empty).toEqual({ classId: LOCK_CLASS_ID, objectId: 0x811c9dc5 | 0 });
    expect(a.objectId).toBe(0xe40c292c | 0);
    expect(lockKey('stagegate')).toEqual(lockKey('stagegate'));
  });
});

describe('ledger schema', () => {
  it('creates exactly the configured schema, however odd its name', async () => {
    // Prepare
    const schema = 'we"ird; drop table x; --';
    await database.query('create table x (id int)');
    const m = migration({ id: 'app/0001_odd', sql: 'select 1;' });
    const db = adapter(schema);

    // Act
    await db.withLock({ waitMs: 1_000 }, (session) => session.apply(applyRequest(m)));
    const snapshot = await db.withReader((reader) => reader.readLedger());

    // Assess
    expect(await database.query('select nspname from pg_namespace where nspname = $1', [schema])).toHaveLength(1);
    const tables = await database.query<{ relname: string }>(
      'select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relkind = $2 order by 1',
      [schema, 'r'],
    );
    expect(tables.map((t) => t.relname)).toEqual(['meta', 'migrations', 'runs', 'schema_objects', 'schema_units']);
    expect(await database.query("select to_regclass('public.x') is not null as found")).toEqual([{ found: true }]);
    expect(snapshot.rows.map((row) => row.id)).toEqual([m.id]);
  });

  it('stores its version and refuses a ledger written by a newer stagegate', async () => {
    // Prepare
    const schema = freshSchema();
    await adapter(schema).withLock({ waitMs: 1_000 }, async () => undefined);
    const meta = `${pg.escapeIdentifier(schema)}.meta`;
    const stored = await database.query(`select value from ${meta} where key = 'ledger_version'`);
    await database.query(`update ${meta} set value = $1 where key = 'ledger_version'`, [String(LEDGER_VERSION + 1)]);
    let ran = false;

    // Act
    const error = await failure(
      adapter(schema).withLock({ waitMs: 1_000 }, async () => {
        ran = true;
      }),
    );

    // Assess
    expect(stored).toEqual([{ value: String(LEDGER_VERSION) }]);
    expect(error.code).toBe('LEDGER_UNSUPPORTED');
    expect(error.message).toContain('newer stagegate');
    expect(ran).toBe(false);
  });

  it('upgrades a ledger of an older revision in place, idempotently, keeping its runs', async () => {
    // Prepare: a ledger as stagegate 0.1.0 wrote it (no runs.reverted, no ledger_revision)
    const schema = freshSchema();
    const q = pg.escapeIdentifier(schema);
    await adapter(schema).withLock({ waitMs: 1_000 }, (session) => session.startRun({ action: 'migrate', bundleId: 'old', actor: 'ci' }));
    await database.query(`alter table ${q}.runs drop column reverted`);
    await database.query(`delete from ${q}.meta where key = 'ledger_revision'`);

    // Act
    const lastBefore = await adapter(schema).withReader((reader) => reader.readLastRun());
    for (let i = 0; i < 2; i += 1) {
      await adapter(schema).withLock({ waitMs: 1_000 }, async (session) => {
        const runId = await session.startRun({ action: 'migrate', bundleId: 'new', actor: 'ci' });
        await session.finishRun(runId, { outcome: 'succeeded', applied: [], reverted: ['app/0002_x'] });
      });
    }

    // Assess: status reads the old ledger's last run (nothing reverted) before anything upgrades it
    expect(lastBefore).toMatchObject({ action: 'migrate', outcome: 'abandoned', reverted: [] });
    const runs = await database.query(`select bundle_id, outcome, reverted from ${q}.runs order by id`);
    expect(runs).toEqual([
      { bundle_id: 'old', outcome: 'abandoned', reverted: [] },
      { bundle_id: 'new', outcome: 'succeeded', reverted: ['app/0002_x'] },
      { bundle_id: 'new', outcome: 'succeeded', reverted: ['app/0002_x'] },
    ]);
    const meta = await database.query(`select key, value from ${q}.meta where key like 'ledger_%' order by key`);
    expect(meta).toEqual([
      { key: 'ledger_revision', value: String(LEDGER_REVISION) },
      { key: 'ledger_version', value: String(LEDGER_VERSION) },
    ]);
  });

  it('reads 10,000 ledger rows quickly', async () => {
    // Prepare
    const schema = freshSchema();
    const db = adapter(schema);
    await db.withLock({ waitMs: 1_000 }, async () => undefined);
    await database.query(
      `insert into ${pg.escapeIdentifier(schema)}.migrations (id, checksum, state, method, duration_ms, bundle_id, applied_by)
       select 'app/' || lpad(n::text, 5, '0') || '_m', 'v1:' || md5(n::text), 'applied', 'executed', n, 'b', 'ci'
         from generate_series(1, 10000) n`,
    );

    // Act
    const started = performance.now();
    const snapshot = await db.withReader((reader) => reader.readLedger());
    const elapsed = performance.now() - started;

    // Assess
    expect(snapshot.rows).toHaveLength(10_000);
    expect(snapshot.rows[0]?.appliedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(elapsed).toBeLessThan(1_500);
  });
});

describe('failure reports', () => {
  it('names the file, the line of the failing statement and SQLSTATE 42P07 for a duplicate table', async () => {
    // Act
    const failure = await failureOf('-- people\ncreate table dup (id int);\n\n-- again\ncreate table dup (id int);\n');

    // Assess
    expect(failure).toMatchObject({
      migration: 'app/0001_broken',
      file: 'app/0001_broken.sql',
      line: 5,
      column: 1,
      statement: 'create table dup (id int)',
      sqlstate: '42P07',
      pgMessage: 'relation "dup" already exists',
    });
  });

  it('places an error with a position on its line and column, CRLF or not, and keeps the hint', async () => {
    // Prepare
    const lines = ['create table things (id int, name text);', 'select id,', '       nme', '  from things;', ''];

    // Act
    const lf = await failureOf(lines.join('\n'));
    const crlf = await failureOf(lines.join('\r\n'));

    // Assess
    expect(lf).toMatchObject({ line: 3, column: 8, sqlstate: '42703', hint: expect.stringContaining('name') });
    expect(crlf).toMatchObject({ line: 3, column: 8, sqlstate: '42703' });
  });

  it('keeps Postgres\' detail and where', async () => {
    // Act
    const unique = await failureOf('create table u (id int primary key);\ninsert into u values (1), (1);');
    const raised = await failureOf("do $$ begin raise exception 'boom'; end $$;");

    // Assess
    expect(unique).toMatchObject({ line: 2, sqlstate: '23505', detail: 'Key (id)=(1) already exists.' });
    expect(raised).toMatchObject({ pgMessage: 'boom', sqlstate: 'P0001', where: expect.stringContaining('PL/pgSQL') });
  });

  it('truncates a long statement in the report', async () => {
    // Act
    const failure = await failureOf(`select 1/0 + ${'1 + '.repeat(300)}1;`);

    // Assess
    expect(failure.sqlstate).toBe('22012');
    expect(failure.statement.length).toBeLessThanOrEqual(501);
  });

  it('applies the statement timeout to a no-transaction migration and resets it afterwards', async () => {
    // Prepare
    const db = adapter(freshSchema());
    const slow = migration({ id: 'app/0001_slow', sql: 'select pg_sleep(2);', noTransaction: true });
    const later = migration({ id: 'app/0002_later', sql: 'select pg_sleep(0.3);', noTransaction: true });

    // Act
    const [error, after] = await db.withLock({ waitMs: 1_000 }, async (session) => [
      await failure(session.apply(applyRequest(slow, { statementTimeoutMs: 100 }))),
      await session.apply(applyRequest(later)),
    ]);

    // Assess
    expect((error as MigrationFailedError).failure.sqlstate).toBe('57014');
    expect((after as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(250);
  });

  it('does not let a no-transaction lock timeout leak into later ledger writes', async () => {
    // Prepare
    const schema = freshSchema();
    const quick = migration({ id: 'app/0001_quick', sql: 'select 1;', noTransaction: true });
    const squash = migration({ id: 'app/0002_squash', sql: 'select 2;' });
    const blocker = await database.connect();

    // Act
    const rows = await adapter(schema).withLock({ waitMs: 1_000 }, async (session) => {
      await session.apply(applyRequest(quick, { lockTimeoutMs: 50 }));
      await blocker.query('begin');
      await blocker.query(`lock table ${pg.escapeIdentifier(schema)}.migrations in access exclusive mode`);
      setTimeout(() => void blocker.query('commit'), 300);
      await session.record(recordRequest(squash));
      return (await session.readLedger()).rows;
    });
    await blocker.end();

    // Assess
    expect(rows.map((row) => [row.id, row.state]).sort()).toEqual([
      [quick.id, 'applied'],
      [squash.id, 'applied'],
    ]);
  });
});

describe('connection failures', () => {
  const secret = 'Wr0ng-Pa55word-7f3a';

  function expectNoSecret(error: MigrationRunnerError, text: string): void {
    for (const part of [error.message, error.remedy, JSON.stringify(error.details), JSON.stringify(error)]) {
      expect(part).not.toContain(text);
    }
  }

  it('reports a wrong password as DATABASE_AUTH_FAILED without revealing it', async () => {
    // Prepare
    await database.query("create role stagegate_app login password 'right-Pa55word'");
    const url = new URL(database.url);
    url.username = 'stagegate_app';
    url.password = secret;

    // Act
    const error = await failure(new PgMigrationDatabase({ connectionString: url.toString() }).withReader((r) => r.readLedger()));

    // Assess
    expect(error.code).toBe('DATABASE_AUTH_FAILED');
    expect(error.message).toContain(`stagegate_app@127.0.0.1:${url.port}/${database.name}`);
    expect(error.remedy).toMatch(/rotated/);
    expectNoSecret(error, secret);
  });

  it('reports a closed port as DATABASE_UNREACHABLE, naming host, port and database', async () => {
    // Prepare
    const server = await listen(createServer());
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));

    // Act
    const error = await failure(
      new PgMigrationDatabase({ connectionString: `postgres://app:${secret}@127.0.0.1:${port}/appdb` }).withReader((r) => r.readLedger()),
    );

    // Assess
    expect(error.code).toBe('DATABASE_UNREACHABLE');
    expect(error.message).toContain(`127.0.0.1:${port}/appdb`);
    expectNoSecret(error, secret);
  });

  it('gives up on a server that never answers after the connect timeout', async () => {
    // Prepare
    const silent = await listen(createServer(() => undefined));
    const port = (silent.address() as { port: number }).port;

    // Act
    const started = Date.now();
    const error = await failure(
      new PgMigrationDatabase({ connectionString: `postgres://app@127.0.0.1:${port}/appdb`, connectTimeoutMs: 200 }).withReader((r) =>
        r.readLedger(),
      ),
    );
    silent.close();

    // Assess
    expect(error.code).toBe('DATABASE_UNREACHABLE');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reports a missing database as DATABASE_UNREACHABLE saying it does not exist', async () => {
    // Act
    const error = await failure(
      new PgMigrationDatabase({ connectionString: urlFor('stagegate_no_such_db') }).withReader((r) => r.readLedger()),
    );

    // Assess
    expect(error.code).toBe('DATABASE_UNREACHABLE');
    expect(error.message).toContain('database "stagegate_no_such_db" does not exist');
  });

  it('connects through a config factory, once per session, as application stagegate', async () => {
    // Prepare
    const url = new URL(database.url);
    let calls = 0;
    const db = new PgMigrationDatabase({
      connection: async () => {
        calls += 1;
        return { host: url.hostname, port: Number(url.port), user: url.username, password: url.password, database: database.name };
      },
    });

    // Act
    const seen = await db.withReader(() =>
      database.query("select 1 from pg_stat_activity where datname = $1 and application_name = 'stagegate'", [database.name]),
    );
    await db.withReader((reader) => reader.readLedger());

    // Assess
    expect(seen).toHaveLength(1);
    expect(calls).toBe(2);
  });

  it('describes a connection string without its password', () => {
    // Act
    const described = describeConnection(`postgres://app:${secret}@db.internal:6432/orders?sslmode=verify-full`);

    // Assess
    expect(described).toBe('app@db.internal:6432/orders');
  });

  it('names the database a URL without one connects to: the user\'s', () => {
    // Act
    const described = describeConnection(`postgres://app:${secret}@db.internal:6432/`);

    // Assess
    expect(described).toBe('app@db.internal:6432/app');
  });
});

describe('a session that dies mid-migration', () => {
  it('fails a transactional migration with MIGRATION_FAILED and commits nothing', async () => {
    // Prepare
    const schema = freshSchema();
    const m = migration({ id: 'app/0001_killed', sql: 'create table killed (id int);\nselect pg_sleep(5.01);\n' });

    // Act
    const applying = failure(adapter(schema).withLock({ waitMs: 1_000 }, (s) => s.apply(applyRequest(m))));
    await terminateWhenRunning('pg_sleep(5.01)');
    const error = await applying;

    // Assess
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect((error as MigrationFailedError).failure).toMatchObject({ line: 2, pgMessage: expect.stringContaining('connection') });
    expect(error.message).toMatch(/connection to the database was lost/);
    expect(await database.query("select to_regclass('killed') is not null as found")).toEqual([{ found: false }]);
    expect((await adapter(schema).withReader((r) => r.readLedger())).rows).toEqual([]);
  });

  it('leaves a no-transaction migration running, for the next run to report', async () => {
    // Prepare
    const schema = freshSchema();
    const m = migration({ id: 'app/0001_cut', sql: 'select pg_sleep(5.02);', noTransaction: true });

    // Act
    const applying = failure(adapter(schema).withLock({ waitMs: 1_000 }, (s) => s.apply(applyRequest(m))));
    await terminateWhenRunning('pg_sleep(5.02)');
    const error = await applying;

    // Assess
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect((await adapter(schema).withReader((r) => r.readLedger())).rows).toEqual([
      expect.objectContaining({ id: m.id, state: 'running' }),
    ]);
  });
});

function listen(server: Server): Promise<Server> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
