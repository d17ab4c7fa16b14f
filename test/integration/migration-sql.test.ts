/**
 * Migration files with SQL that is easy to get wrong: where a failure is
 * placed, and what a migration's own statements may leave behind them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MigrationFailedError } from '../../lib/core/errors';
import { useTestDatabase } from '../support/database';
import { failure } from '../support/failure';
import { runOnFolder, useWorkspace } from '../support/workspace';

describe('Integration: migration SQL on a real PostgreSQL', () => {
  const db = useTestDatabase();
  const ws = useWorkspace();

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('places a failing statement of a reverse script (%s) at its line in the .down.sql', async (_name, eol) => {
    // Prepare: the reverse script is longer than the migration, and its error has a position
    const down = ['-- undo the table', '', '', '', 'DROP TABLE IF EXISTS other;', 'SELECT no_such_column FROM undone;', ''].join(eol);
    const folder = ws.migrations({ 'app/0001_undone.sql': 'CREATE TABLE undone (id int);\n', 'app/0001_undone.down.sql': down });
    await runOnFolder(folder, db.url, { action: 'migrate' });

    // Act
    const error = await failure(runOnFolder(folder, db.url, { action: 'migrate', target: 'zero' }));

    // Assess
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect((error as MigrationFailedError).failure).toMatchObject({ file: 'app/0001_undone.down.sql', line: 6, column: 8, sqlstate: '42703', reverting: true });
  });

  it.each([
    ['CREATE INDEX CONCURRENTLY', 'CREATE INDEX CONCURRENTLY item_id ON item (id);'],
    ['VACUUM', 'VACUUM item;'],
  ])('says to use a no-transaction migration when %s runs in a transactional one', async (_name, statement) => {
    // Prepare
    const folder = ws.migrations({ 'app/0001_item.sql': `CREATE TABLE item (id int);\n${statement}\n` });

    // Act
    const error = await failure(runOnFolder(folder, db.url, { action: 'migrate' }));

    // Assess
    expect((error as MigrationFailedError).failure).toMatchObject({ file: 'app/0001_item.sql', line: 2, sqlstate: '25001' });
    expect(error.remedy).toContain('-- stagegate:no-transaction');
    expect(await db.query("select to_regclass('item')::text as t")).toEqual([{ t: null }]);
  });

  it.each([
    ['a transactional migration', ''],
    ['a no-transaction migration', '-- stagegate:no-transaction\n'],
  ])('refuses COPY ... FROM STDIN with inline rows in %s before running any of it, naming its line', async (_name, header) => {
    // Prepare: psql would send the lines after the COPY as its rows; the engine cannot
    const folder = ws.migrations({
      'app/0001_item.sql': 'CREATE TABLE item (id int, name text);\n',
      'app/0002_rows.sql': `${header}COPY item (id, name) FROM stdin;\n1\tone\n2\ttwo\n\\.\n`,
    });

    // Act
    const error = await failure(runOnFolder(folder, db.url, { action: 'migrate' }, { settings: { statementTimeoutMs: 5_000 } }));

    // Assess: a clear reason, not a statement_timeout; refused before the run's first migration, so no row at all
    const failed = (error as MigrationFailedError).failure;
    expect(failed).toMatchObject({ migration: 'app/0002_rows', line: header ? 2 : 1, sqlstate: null, refused: true });
    expect(failed.pgMessage).toContain('FROM STDIN');
    expect(error.remedy).toContain('Nothing of the migration ran');
    expect(await db.query('select id, state from stagegate.migrations order by id')).toEqual([]);
    expect(await db.query("select to_regclass('item')::text as t")).toEqual([{ t: null }]);
  });

  it('reports COPY ... FROM STDIN in a rehearsal as the migration\'s failure, with the same reason', async () => {
    // Prepare
    const folder = ws.migrations({ 'app/0001_item.sql': 'CREATE TABLE item (id int);\n\nCOPY item FROM stdin;\n1\n\\.\n' });

    // Act
    const error = await failure(runOnFolder(folder, db.url, { action: 'plan', rehearse: true }));

    // Assess
    expect(error.code).toBe('REHEARSAL_FAILED');
    expect(error.details.rehearsal).toEqual([expect.objectContaining({ status: 'failed', failure: expect.objectContaining({ line: 3, sqlstate: null, refused: true }) })]);
  });

  describe('session settings a migration changes', () => {
    const schemaOf = async (table: string): Promise<string[]> =>
      (await db.query<{ schema: string }>('select schemaname as schema from pg_tables where tablename = $1', [table])).map((r) => r.schema);

    it.each([
      ['pg_dump\'s set_config of search_path', "SELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE public.first (id int);\n"],
      ['SET search_path', 'CREATE SCHEMA elsewhere;\nSET search_path = elsewhere;\nCREATE TABLE first (id int);\n'],
      ['SET in a no-transaction migration', '-- stagegate:no-transaction\nSET search_path = pg_catalog;\n'],
    ])('do not reach the next migration of the run: %s', async (_name, sql) => {
      // Prepare
      const folder = ws.migrations({ 'app/0001_first.sql': sql, 'app/0002_second.sql': 'CREATE TABLE second (id int);\n' });

      // Act
      const result = await runOnFolder(folder, db.url, { action: 'migrate' });

      // Assess: the second migration creates its table where a run of its own would
      expect(result.applied.map((a) => a.id)).toEqual(['app/0001_first', 'app/0002_second']);
      expect(await schemaOf('second')).toEqual(['public']);
    });

    it('do not reach the next migration of a rehearsal either, which then agrees with the run', async () => {
      // Prepare
      const folder = ws.migrations({
        'app/0001_first.sql': "SELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE public.first (id int);\n",
        'app/0002_second.sql': 'CREATE TABLE second (id int);\n',
      });

      // Act
      const rehearsed = await runOnFolder(folder, db.url, { action: 'plan', rehearse: true });

      // Assess
      expect(rehearsed.status).toBe('rehearsed');
      expect(await schemaOf('second')).toEqual([]);
    });

    it('do not reach the next migration of the run: SET statement_timeout', async () => {
      // Prepare
      const folder = ws.migrations({ 'app/0001_first.sql': "SET statement_timeout = '1ms';\n", 'app/0002_second.sql': 'SELECT pg_sleep(0.2);\n' });

      // Act
      const result = await runOnFolder(folder, db.url, { action: 'migrate' });

      // Assess
      expect(result.applied.map((a) => a.id)).toEqual(['app/0001_first', 'app/0002_second']);
    });

    it('do not keep the ledger row from being written, nor reach the next migration: SET ROLE', async () => {
      // Prepare: a role that may create tables in public but not write the ledger
      const role = `stagegate_probe_${Math.random().toString(36).slice(2, 8)}`;
      await db.query(`create role ${role}`);
      try {
        await db.query(`grant create on schema public to ${role}`);
        const folder = ws.migrations({ 'app/0001_first.sql': `SET ROLE ${role};\nCREATE TABLE first (id int);\n`, 'app/0002_second.sql': 'CREATE TABLE second (id int);\n' });

        // Act
        const result = await runOnFolder(folder, db.url, { action: 'migrate' });

        // Assess: the migration's own table is the role's; the next one's is the session's user's
        expect(result.applied.map((a) => a.id)).toEqual(['app/0001_first', 'app/0002_second']);
        const owners = await db.query<{ table: string; owner: string }>("select tablename as table, tableowner as owner from pg_tables where tablename in ('first', 'second') order by 1");
        expect(owners).toEqual([{ table: 'first', owner: role }, { table: 'second', owner: expect.not.stringMatching(role) }]);
      } finally {
        await db.query('drop owned by ' + role).catch(() => undefined);
        await db.query(`drop role ${role}`).catch(() => undefined);
      }
    });
  });

  describe('a migration that ends its own transaction', () => {
    const relations = async (): Promise<unknown[]> => db.query("select to_regclass('kept')::text as kept, to_regclass('later')::text as later");

    it('is refused before it runs when it rolls back: its work would be discarded and the rest recorded as applied', async () => {
      // Prepare
      const folder = ws.migrations({ 'app/0001_undone.sql': 'CREATE TABLE kept (id int);\nROLLBACK;\nCREATE TABLE later (id int);\n' });

      // Act
      const error = await failure(runOnFolder(folder, db.url, { action: 'migrate' }));

      // Assess
      expect((error as MigrationFailedError).failure).toMatchObject({ line: 2, statement: 'ROLLBACK', refused: true });
      expect(await relations()).toEqual([{ kept: null, later: null }]);
      expect(await db.query('select id from stagegate.migrations')).toEqual([]);
    });

    it('says, when it fails after its own COMMIT, that what ran before the COMMIT stays committed', async () => {
      // Prepare
      const folder = ws.migrations({ 'app/0001_split.sql': 'CREATE TABLE kept (id int);\nCOMMIT;\nSELECT no_such_column;\n' });

      // Act
      const error = await failure(runOnFolder(folder, db.url, { action: 'migrate' }));

      // Assess: the remedy does not claim the migration left no trace
      expect((error as MigrationFailedError).failure).toMatchObject({ line: 3, sqlstate: '42703', ownCommitLine: 2 });
      expect(error.remedy).toContain('own COMMIT at app/0001_split.sql:2');
      expect(error.remedy).not.toContain('left no trace');
      expect(await relations()).toEqual([{ kept: 'kept', later: null }]);
      expect(await db.query('select id from stagegate.migrations')).toEqual([]);
    });
  });

  it('places a failure inside a DO block at the line of the block that failed', async () => {
    // Prepare: the block starts on line 3; its RAISE is on line 8 of the file
    const sql = "CREATE TABLE item (id int);\n\nDO $$\nDECLARE n int;\nBEGIN\n  SELECT count(*) INTO n FROM item;\n  IF n = 0 THEN\n    RAISE EXCEPTION 'no items';\n  END IF;\nEND\n$$;\n";
    const folder = ws.migrations({ 'app/0001_item.sql': sql });

    // Act
    const error = await failure(runOnFolder(folder, db.url, { action: 'migrate' }));

    // Assess
    expect((error as MigrationFailedError).failure).toMatchObject({ line: 8, column: null, sqlstate: 'P0001', pgMessage: 'no items' });
    expect(error.message).toContain('app/0001_item.sql:8: no items');
  });

  it('refuses a psql meta-command before running any of the migration, naming it and its line', async () => {
    // Prepare: a no-transaction migration would otherwise have run its first statement
    const folder = ws.migrations({ 'app/0001_dump.sql': '-- stagegate:no-transaction\nCREATE TABLE item (id int);\n\\connect other\nCREATE TABLE other_item (id int);\n' });

    // Act
    const error = await failure(runOnFolder(folder, db.url, { action: 'migrate' }));

    // Assess
    expect((error as MigrationFailedError).failure).toMatchObject({ line: 3, sqlstate: null, refused: true, pgMessage: expect.stringContaining('"\\connect other" is a psql meta-command') });
    expect(await db.query("select to_regclass('item')::text as t")).toEqual([{ t: null }]);
    expect(await db.query('select id from stagegate.migrations')).toEqual([]);
  });

  it('refuses a file that is not UTF-8 instead of running its text with replacement characters', async () => {
    // Prepare: Windows-1252 bytes, as an editor may save them
    const folder = ws.migrations({ 'app/0001_item.sql': 'CREATE TABLE item (name text);\n' });
    writeFileSync(join(folder, 'app/0002_seed.sql'), Buffer.from("-- seed\nINSERT INTO item VALUES ('caf\u00e9');\n", 'latin1'));

    // Act
    const error = await failure(runOnFolder(folder, db.url, { action: 'migrate' }));

    // Assess
    expect(error.code).toBe('MIGRATIONS_INVALID');
    expect(error.details.problems).toEqual([expect.objectContaining({ code: 'UNREADABLE', file: 'app/0002_seed.sql', message: expect.stringContaining('not UTF-8 text (the first invalid byte is on line 2') })]);
  });

  describe('a no-transaction migration that opens a transaction of its own', () => {
    const ledger = async (): Promise<unknown[]> => db.query("select id, state, error->>'code' as code from stagegate.migrations order by id");

    it('that fails inside it: the row says failed and the run is recorded as failed', async () => {
      // Prepare
      const folder = ws.migrations({ 'app/0001_own.sql': '-- stagegate:no-transaction\nBEGIN;\nCREATE TABLE own (id int);\nSELECT no_such_column;\nCOMMIT;\n' });

      // Act
      const error = await failure(runOnFolder(folder, db.url, { action: 'migrate' }));

      // Assess
      expect((error as MigrationFailedError).failure).toMatchObject({ line: 4, sqlstate: '42703' });
      expect(await ledger()).toEqual([{ id: 'app/0001_own', state: 'failed', code: 'MIGRATION_FAILED' }]);
      expect(await db.query('select outcome from stagegate.runs')).toEqual([{ outcome: 'failed' }]);
    });

    it('that never commits it: it fails, naming the BEGIN, instead of being recorded as applied with its work lost', async () => {
      // Prepare
      const folder = ws.migrations({
        'app/0001_open.sql': '-- stagegate:no-transaction\nBEGIN;\nCREATE TABLE opened (id int);\n',
        'app/0002_next.sql': 'CREATE TABLE next_one (id int);\n',
      });

      // Act
      const error = await failure(runOnFolder(folder, db.url, { action: 'migrate' }));

      // Assess
      expect((error as MigrationFailedError).failure).toMatchObject({ migration: 'app/0001_open', line: 2, statement: 'BEGIN' });
      expect(await ledger()).toEqual([{ id: 'app/0001_open', state: 'failed', code: 'MIGRATION_FAILED' }]);
      expect(await db.query("select to_regclass('opened')::text as opened, to_regclass('next_one')::text as next")).toEqual([{ opened: null, next: null }]);
    });
  });

  it('refuses DEALLOCATE ALL before running any of the migration: the session\'s ledger queries would be gone for the next one', async () => {
    // Prepare: the second would drop the session's ledger queries under the third; it is refused before the first runs
    const folder = ws.migrations({
      'app/0001_first.sql': 'CREATE TABLE first (id int);\n',
      'app/0002_drop.sql': 'PREPARE mine AS SELECT 1;\nDEALLOCATE ALL;\n',
      'app/0003_third.sql': 'CREATE TABLE third (id int);\n',
    });

    // Act
    const error = await failure(runOnFolder(folder, db.url, { action: 'migrate' }));

    // Assess
    expect((error as MigrationFailedError).failure).toMatchObject({ migration: 'app/0002_drop', line: 2, refused: true });
    expect(await db.query('select id from stagegate.migrations')).toEqual([]);
  });
});
