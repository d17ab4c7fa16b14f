import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PgMigrationDatabase } from '../../lib/adapters/postgres';
import { driftCommand } from '../../lib/drift';
import { resolveMigration } from '../../lib/resolve';
import { useTestDatabase } from '../support/database';
import { MemoryLogger, runOnFolder } from '../support/workspace';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-shared-'));
  for (const [path, sql] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), sql);
  }
  return dir;
}

// Service A keeps its ledger in `public` (--schema public). Service B (ledger svc_b) owns tables in public.
describe('Integration: a ledger next to an application\'s objects in one schema does not hide them', () => {
  const db = useTestDatabase();
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const dbB = () => new PgMigrationDatabase({ connectionString: db.url, schema: 'svc_b', lockPollMs: 20 });

  it('B\'s drift still reports an out-of-band change to B\'s own table in public', async () => {
    const a = folder({ 'a/0001_a.sql': "SELECT 'a';" });
    const b = folder({ 'b/0001_orders.sql': 'CREATE TABLE public.b_orders (id int PRIMARY KEY);' });
    dirs.push(a, b);
    await runOnFolder(a, db.url, { action: 'migrate' }, { schema: 'public' });
    await runOnFolder(b, db.url, { action: 'migrate' }, { schema: 'svc_b' });
    // Act: a change out of band
    await db.query('ALTER TABLE public.b_orders ADD COLUMN secret text');
    const said = await driftCommand({ db: dbB(), logger: new MemoryLogger() }, { actor: 'test' }, { lockWaitMs: 5_000 }).then(
      (r) => `clean: ${JSON.stringify(r.differences)}`,
      (error: { code?: string; message?: string }) => `${String(error.code)}: ${String(error.message)}`,
    );
    // Assess
    expect(said).toContain('DRIFT_DETECTED');
    expect(said).toContain('public.b_orders.secret');
  });

  it('B\'s resolve --applied still refuses over an INVALID index in public (RESOLVE_REFUSED)', async () => {
    const b = folder({
      'b/0001_orders.sql': 'CREATE TABLE public.b_orders (id int PRIMARY KEY);',
      'b/0002_codes.sql': "CREATE TABLE public.b_codes (code text);\nINSERT INTO public.b_codes VALUES ('x'), ('x');",
      'b/0003_unique.sql': '-- stagegate:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY b_codes_code ON public.b_codes (code);',
    });
    const a = folder({ 'a/0001_a.sql': "SELECT 'a';" });
    dirs.push(a, b);
    await runOnFolder(a, db.url, { action: 'migrate' }, { schema: 'public' });
    await runOnFolder(b, db.url, { action: 'migrate' }, { schema: 'svc_b' }).catch(() => undefined);
    const state = await db.query<{ state: string }>("select state from svc_b.migrations where id = 'b/0003_unique'");
    expect(state[0]?.state).toBe('failed');
    const outcome = await resolveMigration({ db: dbB(), logger: new MemoryLogger() }, { id: 'b/0003_unique', outcome: 'applied', actor: 'test' }, { lockWaitMs: 5_000 }).then(
      () => 'resolved as applied',
      (error: { code?: string }) => String(error.code),
    );
    expect(outcome).toBe('RESOLVE_REFUSED');
  });
});
