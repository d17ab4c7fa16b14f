import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { PgMigrationDatabase } from '../../lib/adapters/postgres';
import { driftCommand } from '../../lib/drift';
import { useTestDatabase } from '../support/database';
import { MemoryLogger, runOnFolder, useWorkspace } from '../support/workspace';

describe('Integration: status while a live run that is not applying anything holds the lock', () => {
  const db = useTestDatabase();
  const ws = useWorkspace();

  it('still reports a dead run\'s running (dirty) row as blocked MIGRATION_DIRTY', async () => {
    // Prepare: a no-transaction migration whose session is killed mid-way: its row stays running (dirty)
    const dir = ws.migrations({ 'a/0001_init.sql': 'CREATE TABLE rv_a (id int);', 'a/0002_slow.sql': '-- stagegate:no-transaction\nSELECT pg_sleep(39);' });
    const dying = runOnFolder(dir, db.url, { action: 'migrate' }).then(() => 'ok', (e: { code?: string }) => String(e.code));
    let pid: number | undefined;
    for (let tries = 0; tries < 100 && pid === undefined; tries += 1) {
      pid = (await db.query<{ pid: number }>("select pid from pg_stat_activity where state = 'active' and query like '%pg_sleep(39)%' and pid <> pg_backend_pid()"))[0]?.pid;
      if (pid === undefined) await sleep(100);
    }
    await db.query('select pg_terminate_backend($1)', [pid]);
    await dying;
    expect(await db.query("select state from stagegate.migrations where id = 'a/0002_slow'")).toEqual([{ state: 'running' }]);
    const before = await runOnFolder(dir, db.url, { action: 'status' });
    expect(before.blocked?.code).toBe('MIGRATION_DIRTY');
    // A drift --accept holds the ledger lock with its own running runs row, waiting on a write lock someone holds
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    await holder.query('begin');
    await holder.query('lock table stagegate.schema_objects, stagegate.schema_units in share mode');
    const accepting = driftCommand({ db: new PgMigrationDatabase({ connectionString: db.url, schema: 'stagegate', lockPollMs: 20 }), logger: new MemoryLogger() }, { actor: 'test', accept: { reason: 'accepted while status reads' } }, { lockWaitMs: 5_000 }).then(() => 'ok', (e: { code?: string }) => String(e.code));
    let live = false;
    for (let tries = 0; tries < 100 && !live; tries += 1) {
      live = (await db.query("select 1 from stagegate.runs where action = 'drift-accept' and outcome = 'running'")).length === 1;
      if (!live) await sleep(50);
    }
    expect(live).toBe(true);
    // Act
    const during = await runOnFolder(dir, db.url, { action: 'status' });
    await holder.query('commit');
    await holder.end();
    await accepting;
    // Assess: nobody is applying a/0002_slow; it is as dirty as before
    expect({ lastRun: during.lastRun?.outcome, blocked: during.blocked?.code, entry: during.migrations?.find((m) => m.id === 'a/0002_slow')?.state }).toEqual({ lastRun: 'running', blocked: 'MIGRATION_DIRTY', entry: before.migrations?.find((m) => m.id === 'a/0002_slow')?.state });
  }, 60_000);
});
