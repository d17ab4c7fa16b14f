/**
 * A transactional migration sent in one round trip (pg's pipeline mode):
 * the first failure is the migration's, nothing of it stays, a COMMIT that
 * fails or answers ROLLBACK is never a success, and scripts that control the
 * transaction themselves still run statement by statement.
 */
import type pg from 'pg';
import { PgMigrationDatabase } from '../../lib/adapters/postgres';
import { applyMigration } from '../../lib/adapters/postgres/apply';
import { withClient } from '../../lib/adapters/postgres/connect';
import { ensureLedger, ledgerTables } from '../../lib/adapters/postgres/ledger';
import { MigrationFailedError, type MigrationFailure } from '../../lib/core/errors';
import { applyRequest, migration } from '../support/builders';
import { useTestDatabase } from '../support/database';
import { failure } from '../support/failure';

const database = useTestDatabase('file');
let schemaCount = 0;

const freshSchema = (): string => `pipelined_${++schemaCount}`;

const adapter = (schema: string): PgMigrationDatabase => new PgMigrationDatabase({ connectionString: database.url, schema, lockPollMs: 20 });

async function failureOf(schema: string, id: string, sql: string): Promise<MigrationFailure> {
  const error = await failure(adapter(schema).withLock({ waitMs: 1_000 }, (s) => s.apply(applyRequest(migration({ id, sql })))));
  expect(error).toBeInstanceOf(MigrationFailedError);
  return (error as MigrationFailedError).failure;
}

async function tableExists(name: string): Promise<boolean> {
  const [row] = await database.query<{ found: boolean }>('select to_regclass($1) is not null as found', [name]);
  return row?.found === true;
}

async function ledgerRows(schema: string): Promise<Array<{ id: string; duration_ms: number | null }>> {
  return database.query(`select id, duration_ms from "${schema}".migrations order by id`);
}

/** Applies `sql` on a pipelined client of its own and returns how many queries were ever awaiting an answer at once. */
async function mostInFlight(schema: string, sql: string): Promise<number> {
  return withClient(database.url, { connectTimeoutMs: 5_000, pipeline: true }, async (client) => {
    const t = ledgerTables(schema);
    await ensureLedger(client, t);
    let inFlight = 0;
    let most = 0;
    const query = client.query.bind(client) as (config: unknown) => Promise<pg.QueryResult>;
    // Counts, then passes every query on to pg unchanged.
    (client as { query: unknown }).query = (config: unknown) => {
      most = Math.max(most, ++inFlight);
      return query(config).finally(() => inFlight--);
    };
    await applyMigration(client, t, applyRequest(migration({ id: 'app/0001_counted', sql })));
    return most;
  });
}

describe('a pipelined transactional migration', () => {
  it('sends begin, every statement, the ledger row and commit before the first answer', async () => {
    // Act
    const most = await mostInFlight(freshSchema(), 'create table counted_a (id int);\ncreate table counted_b (id int);\ncreate index on counted_b (id);\n');

    // Assess: begin, the timeouts (this session has none of its own), 3 statements, the ledger row, commit
    expect(most).toBe(7);
    expect(await tableExists('counted_b')).toBe(true);
  });

  it('fails at its second statement with that line and SQLSTATE, and leaves neither the first table nor a ledger row', async () => {
    // Prepare
    const schema = freshSchema();

    // Act
    const failed = await failureOf(schema, 'app/0001_second', 'create table second_a (id int);\n\ninsert into no_such_table values (1);\ncreate table second_b (id int);\n');

    // Assess: the third statement failed too (25P02), but only the second is reported.
    expect(failed).toMatchObject({ file: 'app/0001_second.sql', line: 3, sqlstate: '42P01', statement: 'insert into no_such_table values (1)' });
    expect(await tableExists('second_a')).toBe(false);
    expect(await tableExists('second_b')).toBe(false);
    expect(await ledgerRows(schema)).toEqual([]);
  });

  it('fails when a deferred constraint fails at COMMIT, and leaves nothing', async () => {
    // Prepare
    const schema = freshSchema();
    const sql = [
      'create table deferred_parent (id int primary key);',
      'create table deferred_child (parent int references deferred_parent deferrable initially deferred);',
      'insert into deferred_child values (1);',
      '',
    ].join('\n');

    // Act
    const failed = await failureOf(schema, 'app/0001_deferred', sql);

    // Assess
    expect(failed).toMatchObject({ file: 'app/0001_deferred.sql', statement: 'COMMIT', sqlstate: '23503' });
    expect(await tableExists('deferred_parent')).toBe(false);
    expect(await ledgerRows(schema)).toEqual([]);
  });

  it('records in the ledger the duration it returns, measured by the server', async () => {
    // Prepare
    const schema = freshSchema();
    const m = migration({ id: 'app/0001_slow', sql: 'create table slow (id int);\nselect pg_sleep(0.12);\n' });

    // Act
    const { durationMs } = await adapter(schema).withLock({ waitMs: 1_000 }, (s) => s.apply(applyRequest(m)));

    // Assess
    expect(durationMs).toBeGreaterThanOrEqual(120);
    expect(await ledgerRows(schema)).toEqual([{ id: m.id, duration_ms: durationMs }]);
  });

  it('writes the next ledger row on the same session after a failure before the first row was ever written', async () => {
    // Prepare: the first row's statement is prepared in an aborted transaction, so the server never keeps it.
    const schema = freshSchema();
    const broken = migration({ id: 'app/0001_broken', sql: 'select 1/0;\n' });
    const fixed = migration({ id: 'app/0002_fixed', sql: 'create table after_failure (id int);\n' });
    const later = migration({ id: 'app/0003_later', sql: 'create table after_failure_too (id int);\n' });

    // Act
    await adapter(schema).withLock({ waitMs: 1_000 }, async (s) => {
      expect((await failure(s.apply(applyRequest(broken)))).code).toBe('MIGRATION_FAILED');
      await s.apply(applyRequest(fixed));
      await s.apply(applyRequest(later));
    });

    // Assess
    expect((await ledgerRows(schema)).map((row) => row.id)).toEqual([fixed.id, later.id]);
  });

  it('sets its own timeouts in the same round trip', async () => {
    // Prepare
    const schema = freshSchema();
    const m = migration({ id: 'app/0001_timed', sql: 'create table timed (id int);\nselect pg_sleep(2);\n' });

    // Act
    const error = await failure(adapter(schema).withLock({ waitMs: 1_000 }, (s) => s.apply(applyRequest(m, { statementTimeoutMs: 150 }))));

    // Assess
    expect((error as MigrationFailedError).failure).toMatchObject({ line: 2, sqlstate: '57014' });
    expect(await tableExists('timed')).toBe(false);
  });
});

describe('a transactional migration that controls the transaction itself', () => {
  it('runs statement by statement, one query at a time', async () => {
    // Act
    const most = await mostInFlight(freshSchema(), 'create table controlled_a (id int);\ncommit;\nbegin;\ncreate table controlled_b (id int);\n');

    // Assess
    expect(most).toBe(1);
    expect(await tableExists('controlled_b')).toBe(true);
  });

  it('stops at the failing statement: nothing after it runs, in autocommit or otherwise', async () => {
    // Prepare
    const schema = freshSchema();
    const sql = 'create table own_a (id int);\ncommit;\ninsert into no_such_table values (1);\ncreate table own_b (id int);\n';

    // Act
    const failed = await failureOf(schema, 'app/0001_own', sql);

    // Assess: its own COMMIT kept the first table, as it always did; the statement after the failure never ran.
    expect(failed).toMatchObject({ line: 3, sqlstate: '42P01' });
    expect(await tableExists('own_a')).toBe(true);
    expect(await tableExists('own_b')).toBe(false);
    expect(await ledgerRows(schema)).toEqual([]);
  });
});
