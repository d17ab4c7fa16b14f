import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PgMigrationDatabase } from '../../lib/adapters/postgres';
import { driftCommand } from '../../lib/drift';
import { useTestDatabase } from '../support/database';
import { MemoryLogger, runOnFolder } from '../support/workspace';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-comp-'));
  for (const [path, sql] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), sql);
  }
  return dir;
}

describe('Integration: a ledger schema holding a composite type of an application', () => {
  const db = useTestDatabase();
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('B\'s drift reports an out-of-band change to B\'s composite type in public (A keeps its ledger there)', async () => {
    const a = folder({ 'a/0001_a.sql': "SELECT 'a';" });
    const b = folder({ 'b/0001_pair.sql': 'CREATE TYPE public.b_pair AS (x int, y int);' });
    dirs.push(a, b);
    await runOnFolder(a, db.url, { action: 'migrate' }, { schema: 'public' });
    await runOnFolder(b, db.url, { action: 'migrate' }, { schema: 'svc_b' });
    await db.query('ALTER TYPE public.b_pair ADD ATTRIBUTE secret text');
    const said = await driftCommand({ db: new PgMigrationDatabase({ connectionString: db.url, schema: 'svc_b', lockPollMs: 20 }), logger: new MemoryLogger() }, { actor: 'test' }, { lockWaitMs: 5_000 }).then(
      (r) => `clean: ${JSON.stringify(r.differences)}`,
      (error: { code?: string; message?: string }) => `${String(error.code)}: ${String(error.message)}`,
    );
    expect(said).toContain('DRIFT_DETECTED');
    expect(said).toContain('b_pair');
  });

  it('control: the same change in a schema without a ledger is reported', async () => {
    const c = folder({ 'c/0001_pair.sql': 'CREATE SCHEMA app_c;\nCREATE TYPE app_c.c_pair AS (x int, y int);' });
    dirs.push(c);
    await runOnFolder(c, db.url, { action: 'migrate' }, { schema: 'svc_c' });
    await db.query('ALTER TYPE app_c.c_pair ADD ATTRIBUTE secret text');
    const said = await driftCommand({ db: new PgMigrationDatabase({ connectionString: db.url, schema: 'svc_c', lockPollMs: 20 }), logger: new MemoryLogger() }, { actor: 'test' }, { lockWaitMs: 5_000 }).then(
      (r) => `clean: ${JSON.stringify(r.differences)}`,
      (error: { code?: string; message?: string }) => `${String(error.code)}: ${String(error.message)}`,
    );
    expect(said).toContain('DRIFT_DETECTED');
    expect(said).toContain('c_pair');
  });
});
