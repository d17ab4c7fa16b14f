import { FolderBundleSource } from '../../lib/adapters/fs/folder-bundle-source';
import { PgMigrationDatabase } from '../../lib/adapters/postgres';
import { StageRecordAccessDeniedError } from '../../lib/core/errors';
import type { StageRecord } from '../../lib/core/stage-record';
import type { StageRecords } from '../../lib/ports';
import { runMigrations } from '../../lib/run';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createWorkspace, MemoryLogger, TEST_SETTINGS, type Workspace } from '../support/workspace';

const FILES = { 'app/0001_init.sql': 'CREATE TABLE gadget (id int);' };

describe('Integration: the engine with a stage order (real PostgreSQL)', () => {
  let db: TestDatabase;
  let ws: Workspace;
  beforeEach(async () => {
    db = await createTestDatabase();
    ws = createWorkspace();
  });
  afterEach(async () => {
    ws.remove();
    await db.drop();
  });

  const run = (stages: StageRecords, logger = new MemoryLogger()) =>
    runMigrations(
      { source: new FolderBundleSource(ws.migrations(FILES)), db: new PgMigrationDatabase({ connectionString: db.url }), logger, clock: { now: () => Date.now() }, stages },
      { action: 'migrate', actor: 'test' },
      TEST_SETTINGS,
    );

  it('reports a stage record it could not write without failing the migration', async () => {
    // Prepare: the first stage, whose record S3 refuses to take
    const logger = new MemoryLogger();
    const stages: StageRecords = {
      stage: 'dev',
      previousStage: null,
      previous: () => Promise.reject(new Error('the first stage reads no record')),
      write: () => Promise.reject(new StageRecordAccessDeniedError('dev', 's3://b/stagegate/stages/dev/state.json', 'write')),
    };
    // Act
    const result = await run(stages, logger);
    // Assess
    expect(result.status).toBe('applied');
    expect(result.stageRecord).toEqual({ written: false, reason: expect.stringContaining('S3 refused to write the stage record of dev') });
    expect(logger.events.filter((e) => e.event === 'stage_record.not_written').map((e) => e.level)).toEqual(['warn']);
    expect(await db.query("select id from stagegate.migrations where state = 'applied'")).toEqual([{ id: 'app/0001_init' }]);
  });

  it('writes the record after an up-to-date run too', async () => {
    // Prepare
    const written: StageRecord[] = [];
    const stages: StageRecords = { stage: 'dev', previousStage: null, previous: () => Promise.resolve(null), write: async (r) => void written.push(r) };
    await run(stages);
    // Act
    const again = await run(stages);
    // Assess
    expect(again).toMatchObject({ status: 'up-to-date', stageRecord: { written: true } });
    expect(written.map((r) => r.applied.map((e) => e.id))).toEqual([['app/0001_init'], ['app/0001_init']]);
  });

  it('upgrades a version 1 ledger so runs can keep their stage-order override', async () => {
    // Prepare: a ledger as version 1 left it
    const stages: StageRecords = { stage: 'dev', previousStage: null, previous: () => Promise.resolve(null), write: async () => undefined };
    await run(stages);
    await db.query('alter table stagegate.runs drop column stage_override');
    await db.query("update stagegate.meta set value = '1' where key = 'ledger_version'");
    const folder = ws.migrations({ ...FILES, 'app/0002_more.sql': 'ALTER TABLE gadget ADD COLUMN n int;' });
    const staging: StageRecords = { ...stages, stage: 'staging', previousStage: 'dev' };
    // Act: the previous stage has no record, so only the override lets it run
    const result = await runMigrations(
      { source: new FolderBundleSource(folder), db: new PgMigrationDatabase({ connectionString: db.url }), logger: new MemoryLogger(), clock: { now: () => Date.now() }, stages: staging },
      { action: 'migrate', actor: 'test', stageOrderOverride: { reason: 'upgrade test' } },
      TEST_SETTINGS,
    );
    // Assess
    expect(result.status).toBe('applied');
    expect(await db.query("select value from stagegate.meta where key = 'ledger_version'")).toEqual([{ value: '2' }]);
    expect(await db.query("select stage_override->>'reason' as reason from stagegate.runs where stage_override is not null")).toEqual([{ reason: 'upgrade test' }]);
  });
});
