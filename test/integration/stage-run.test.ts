import { FolderBundleSource } from '../../lib/adapters/fs/folder-bundle-source';
import { PgMigrationDatabase } from '../../lib/adapters/postgres';
import { LEDGER_REVISION } from '../../lib/adapters/postgres/ledger';
import { StageRecordAccessDeniedError } from '../../lib/core/errors';
import type { StageRecord } from '../../lib/core/stage-record';
import type { StageRecords } from '../../lib/ports';
import { runMigrations, type RunDependencies } from '../../lib/run';
import { useTestDatabase } from '../support/database';
import { failure } from '../support/failure';
import { MemoryLogger, TEST_SETTINGS, useWorkspace } from '../support/workspace';

const FILES = { 'app/0001_init.sql': 'CREATE TABLE gadget (id int);' };

describe('Integration: the engine with a stage order (real PostgreSQL)', () => {
  const db = useTestDatabase();
  const ws = useWorkspace();

  /** The engine's dependencies on this test's database, with a stage order. */
  const depsWith = (stages: StageRecords, files: Record<string, string> = FILES, logger = new MemoryLogger()): RunDependencies => ({
    source: new FolderBundleSource(ws.migrations(files)),
    db: new PgMigrationDatabase({ connectionString: db.url }),
    logger,
    clock: { now: () => Date.now() },
    stages,
  });
  const run = (stages: StageRecords, logger = new MemoryLogger()) => runMigrations(depsWith(stages, FILES, logger), { action: 'migrate', actor: 'test' }, TEST_SETTINGS);

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

  it('upgrades a revision 1 ledger so runs can keep their stage-order override', async () => {
    // Prepare: a ledger as revision 1 left it
    const stages: StageRecords = { stage: 'dev', previousStage: null, previous: () => Promise.resolve(null), write: async () => undefined };
    await run(stages);
    await db.query('alter table stagegate.runs drop column stage_override');
    await db.query("update stagegate.meta set value = '1' where key = 'ledger_revision'");
    const staging: StageRecords = { ...stages, stage: 'staging', previousStage: 'dev' };
    // Act: the previous stage has no record, so only the override lets it run
    const result = await runMigrations(
      depsWith(staging, { ...FILES, 'app/0002_more.sql': 'ALTER TABLE gadget ADD COLUMN n int;' }),
      { action: 'migrate', actor: 'test', stageOrderOverride: { reason: 'upgrade test' } },
      TEST_SETTINGS,
    );
    // Assess
    expect(result.status).toBe('applied');
    expect(await db.query("select key, value from stagegate.meta where key like 'ledger_%' order by key")).toEqual([
      { key: 'ledger_revision', value: String(LEDGER_REVISION) },
      { key: 'ledger_version', value: '1' },
    ]);
    expect(await db.query("select stage_override->>'reason' as reason from stagegate.runs where stage_override is not null")).toEqual([{ reason: 'upgrade test' }]);
  });

  it('lets an override proceed past a previous record S3 refuses to read, and refuses without one', async () => {
    // Prepare: on AWS a missing record reads as 403 to a role that may not list the bucket
    const denied: StageRecords = {
      stage: 'production',
      previousStage: 'staging',
      previous: () => Promise.reject(new StageRecordAccessDeniedError('staging', 's3://b/stagegate/stages/staging/state.json', 'read')),
      write: async () => undefined,
    };
    const deps = () => depsWith(denied);
    // Act
    const refused = await failure(runMigrations(deps(), { action: 'migrate', actor: 'test' }, TEST_SETTINGS));
    const overridden = await runMigrations(deps(), { action: 'migrate', actor: 'test', stageOrderOverride: { reason: 'first production deploy' } }, TEST_SETTINGS);
    // Assess
    expect(refused.code).toBe('STAGE_RECORD_ACCESS_DENIED');
    expect(refused.message).toContain('staging may never have recorded a run');
    expect(overridden).toMatchObject({ status: 'applied', stageOrderOverride: { previousStage: 'staging', missing: ['app/0001_init'] } });
  });

  it('never refuses a run that only reverts: going back is not out of order', async () => {
    // Prepare: applied here (under an override), and the previous stage still has no record
    const files = { ...FILES, 'app/0001_init.down.sql': 'DROP TABLE gadget;' };
    const staging: StageRecords = { stage: 'staging', previousStage: 'dev', previous: () => Promise.resolve(null), write: async () => undefined };
    const deps = () => depsWith(staging, files);
    await runMigrations(deps(), { action: 'migrate', actor: 'test', stageOrderOverride: { reason: 'set up' } }, TEST_SETTINGS);
    // Act
    const back = await runMigrations(deps(), { action: 'migrate', actor: 'test', target: 'zero' }, TEST_SETTINGS);
    // Assess
    expect(back.status).toBe('reverted');
    expect(await db.query("select to_regclass('public.gadget')::text as t")).toEqual([{ t: null }]);
  });
});
