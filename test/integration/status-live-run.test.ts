import { setTimeout as sleep } from 'node:timers/promises';
import { useTestDatabase } from '../support/database';
import { runOnFolder, useWorkspace } from '../support/workspace';

describe('Integration: status while another run applies a no-transaction migration', () => {
  const db = useTestDatabase();
  const ws = useWorkspace();

  it('shows the migration being applied as pending, not dirty, and status is not blocked', async () => {
    // Prepare: a run whose no-transaction a/0002_slow sleeps, holding the lock, with its `running` row written
    const dir = ws.migrations({
      'a/0001_init.sql': 'CREATE TABLE live_a (id int);',
      'a/0002_slow.sql': '-- stagegate:no-transaction\nSELECT pg_sleep(4);\nCREATE INDEX CONCURRENTLY live_a_id ON live_a (id);',
    });
    const running = runOnFolder(dir, db.url, { action: 'migrate' });
    let seen = false;
    for (let tries = 0; tries < 100 && !seen; tries += 1) {
      const ledger = await db.query<{ n: string }>("select count(*)::text as n from pg_catalog.pg_tables where schemaname = 'stagegate' and tablename = 'migrations'");
      seen = ledger[0]?.n === '1' && (await db.query("select 1 from stagegate.migrations where id = 'a/0002_slow' and state = 'running'")).length === 1;
      if (!seen) await sleep(100);
    }
    expect(seen).toBe(true);
    // Act
    const status = await runOnFolder(dir, db.url, { action: 'status' });
    const migrate = await running;
    // Assess: nothing needed resolving; the other run applied it
    expect(migrate.status).toBe('applied');
    expect({ status: status.status, blocked: status.blocked, pending: status.pending }).toEqual({ status: 'pending', blocked: undefined, pending: ['a/0002_slow'] });
    expect(status.migrations).toContainEqual(expect.objectContaining({ id: 'a/0002_slow', state: 'pending' }));
    expect(status.lastRun).toMatchObject({ outcome: 'running' });
  });
});
