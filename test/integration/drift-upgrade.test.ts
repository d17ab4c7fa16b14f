import { PgMigrationDatabase } from '../../lib/adapters/postgres';
import { renderDrift } from '../../lib/cli/drift-render';
import { styleFor } from '../../lib/cli/style';
import { driftCommand } from '../../lib/drift';
import { useTestDatabase } from '../support/database';
import { failure } from '../support/failure';
import { MemoryLogger, runOnFolder, useWorkspace } from '../support/workspace';

const V1 = {
  'org/0001_initial.sql': `CREATE TABLE organization (id bigserial PRIMARY KEY, name text NOT NULL);
CREATE VIEW organization_names AS SELECT name FROM organization;`,
};
// A run that changes nothing the view names: its definition is read again only because the server's version changed.
const V2 = { ...V1, 'org/0002_team.sql': 'CREATE TABLE team (id bigserial PRIMARY KEY);' };
/** How PostgreSQL 14 words the view (15 stopped qualifying unambiguous columns). */
const VIEW_AS_14_WORDS_IT = 'view as  SELECT organization.name\n   FROM public.organization;';

describe('Integration: a drift baseline stored before a PostgreSQL major-version upgrade', () => {
  const db = useTestDatabase();
  const ws = useWorkspace();

  const drift = (): ReturnType<typeof driftCommand> =>
    driftCommand({ db: new PgMigrationDatabase({ connectionString: db.url, lockPollMs: 20 }), logger: new MemoryLogger() }, { actor: 'test' }, { lockWaitMs: 5_000 });
  const serverMajor = async (): Promise<number> => (await db.query<{ major: number }>("select current_setting('server_version_num')::int / 10000 as major"))[0]!.major;
  const storedValue = async (): Promise<string> => (await db.query<{ value: string }>("select value from stagegate.meta where key = 'schema_baseline'"))[0]!.value;
  const storedView = async (): Promise<string> => (await db.query<{ definition: string }>("select definition from stagegate.schema_objects where kind = 'view'"))[0]!.definition;
  /** The stored baseline's stamp and ledger digest kept, and `rest` after them instead of the version. */
  const storedWith = (rest: string): Promise<unknown> =>
    db.query("update stagegate.meta set value = split_part(value, ' ', 1) || ' ' || split_part(value, ' ', 2) || $1 where key = 'schema_baseline'", [rest]);

  it('records the server major version with the baseline', async () => {
    // Act
    await runOnFolder(ws.migrations(V1), db.url, { action: 'migrate' });
    // Assess
    expect((await storedValue()).split(' ')).toEqual([expect.stringMatching(/^-?[0-9]+$/), expect.stringMatching(/^[0-9a-f]{64}$/), String(await serverMajor())]);
  });

  it('compares nothing after an upgrade, refuses no run for the new wording, and the next run reads every definition again', async () => {
    // Prepare: the baseline as the previous major version stored it, with its wording of the view
    await runOnFolder(ws.migrations(V1), db.url, { action: 'migrate' });
    const major = await serverMajor();
    await storedWith(` ${major - 1}`);
    await db.query("update stagegate.schema_objects set definition = $1 where kind = 'view'", [VIEW_AS_14_WORDS_IT]);
    const logger = new MemoryLogger();
    // Act
    const before = await drift();
    const result = await runOnFolder(ws.migrations(V2), db.url, { action: 'migrate' }, { logger });
    const after = await drift();
    // Assess
    const upgrade = { from: major - 1, to: major };
    expect(before).toEqual({ ok: true, action: 'drift', ledgerSchema: 'stagegate', baseline: false, stale: true, serverUpgrade: upgrade, differences: [] });
    expect(renderDrift(before, styleFor({ isTTY: false }, {}))).toContain(`The baseline was stored by PostgreSQL ${major - 1} and the server is now PostgreSQL ${major}`);
    expect(result.applied.map((a) => a.id)).toEqual(['org/0002_team']);
    const skipped = logger.events.find((e) => e.event === 'drift.skipped');
    expect(skipped).toMatchObject({ level: 'warn', data: { serverUpgrade: upgrade } });
    expect(skipped?.data.reason).toContain('this run stores a new one');
    expect(after).toEqual({ ok: true, action: 'drift', ledgerSchema: 'stagegate', baseline: true, stale: false, differences: [] });
    // The view's stamp did not change, yet its definition was read again: the old wording is gone.
    expect(await storedView()).toContain('SELECT name');
    expect((await storedValue()).split(' ')[2]).toBe(String(major));
  });

  it('compares a baseline that an older stagegate stored without a version as one of this server', async () => {
    // Prepare
    await runOnFolder(ws.migrations(V1), db.url, { action: 'migrate' });
    await storedWith('');
    await db.query('ALTER TABLE organization ADD COLUMN type_id integer');
    // Act
    const error = await failure(drift());
    // Assess
    expect(error.code).toBe('DRIFT_DETECTED');
    expect(error.details.differences).toEqual([expect.objectContaining({ name: 'public.organization.type_id', change: 'added' })]);
  });
});
