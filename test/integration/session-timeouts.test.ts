/**
 * A migrate run's session timeouts go out behind its run row, in the same
 * round trip, and their answer is taken with the first migration. These
 * tests prove what that must not change: every migration runs under them,
 * and when they cannot be set the first migration is not run.
 */
import { PgMigrationDatabase } from '../../lib/adapters/postgres';
import { Action } from '../../lib/core/result';
import { applyRequest, migration } from '../support/builders';
import { useTestDatabase } from '../support/database';
import { failure } from '../support/failure';
import { runOnFolder, useWorkspace } from '../support/workspace';

const SEEN = "current_setting('lock_timeout') AS lock, current_setting('statement_timeout') AS statement";

describe('Integration: the session timeouts of a migrate run', () => {
  const db = useTestDatabase();
  const ws = useWorkspace();

  it('are in force for the first migration, those behind it, and one outside a transaction', async () => {
    // Prepare
    const folder = ws.migrations({
      'app/0001_first.sql': `CREATE TABLE seen AS SELECT 1 AS n, ${SEEN};`,
      'app/0002_second.sql': `INSERT INTO seen SELECT 2, ${SEEN};`,
      'app/0003_outside.sql': `-- stagegate:no-transaction\nINSERT INTO seen SELECT 3, ${SEEN};`,
      'app/0004_after.sql': `INSERT INTO seen SELECT 4, ${SEEN};`,
    });

    // Act
    await runOnFolder(folder, db.url, { action: 'migrate' }, { settings: { lockTimeoutMs: 1_234, statementTimeoutMs: 56_789 } });

    // Assess
    expect(await db.query('select n, lock, statement from seen order by n')).toEqual([1, 2, 3, 4].map((n) => ({ n, lock: '1234ms', statement: '56789ms' })));
  });

  it('that the server refuses fail the first migration before it runs, and the run row is written', async () => {
    // Prepare: a lock timeout PostgreSQL refuses (above its maximum)
    const adapter = new PgMigrationDatabase({ connectionString: db.url, lockPollMs: 20 });
    const first = migration({ id: 'app/0001_first', sql: 'CREATE TABLE first (id int);' });

    // Act
    const error = await adapter.withLock({ waitMs: 1_000, timeouts: { lockTimeoutMs: 3_000_000_000, statementTimeoutMs: 0 } }, async (session) => {
      const runId = await session.startRun({ action: Action.MIGRATE, bundleId: 'bundle-test', actor: 'tester' });
      return failure(session.apply(applyRequest(first, { runId })));
    });

    // Assess
    expect(error.message).toMatch(/lock_timeout/);
    expect(await db.query("select to_regclass('first') as found")).toEqual([{ found: null }]);
    expect(await db.query('select count(*)::int as n from stagegate.migrations')).toEqual([{ n: 0 }]);
    expect(await db.query('select action, outcome from stagegate.runs')).toEqual([{ action: 'migrate', outcome: 'running' }]);
  });
});
