/**
 * Faults, part 5: configuration an attacker or a typo could write. A ledger
 * schema named with quotes, spaces and SQL is quoted, never executed; the
 * password of every scenario's URL is full of special characters (see
 * `faults.ts`) and is never printed. The in-process cases are in
 * test/integration/migrate.test.ts and postgres-adapter.test.ts.
 */
import { createFaultDatabase, filesOf, step, type FaultDatabase } from '../support/faults';
import { createWorkspace, type Workspace } from '../support/workspace';

const SCHEMAS = ['ledger"; DROP TABLE customer; --', "it's a Ledger'); DROP TABLE customer; --"];

describe('Faults: a hostile ledger schema name through the CLI', () => {
  let fdb: FaultDatabase;
  let ws: Workspace;
  afterEach(async () => {
    await fdb.drop();
    ws.remove();
  });

  it.each(SCHEMAS)('keeps the ledger in exactly the schema %p and runs no part of its name', async (schema) => {
    // Prepare
    fdb = await createFaultDatabase(undefined, schema);
    ws = createWorkspace();
    const steps = [step(1), step(2)];
    const folder = ws.migrations(filesOf(steps));
    // Act
    const first = await fdb.cli(['migrate', '--verbose'], ws.dir);
    const again = await fdb.cli(['migrate', '--schema', schema], ws.dir);
    const status = await fdb.cli(['status'], ws.dir);
    // Assess
    expect([first.code, again.code, status.code]).toEqual([0, 0, 0]);
    expect(again.stdout).toContain('Up to date');
    const schemas = await fdb.admin.query<{ nspname: string }>("select nspname from pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema' order by 1");
    expect(schemas.map((s) => s.nspname).sort()).toEqual([schema, 'public'].sort());
    await fdb.expectConsistent(steps);
    await fdb.expectFollowingRunCompletes(folder, steps);
  });
});
