import { StageOrderError } from '../../lib/core/errors';
import { buildCatalog } from '../../lib/core/catalog';
import type { Migration } from '../../lib/core/migration';
import type { PlanStep } from '../../lib/core/plan';
import { decideStageOrder, parseStageList, placeInOrder, stagedMigrations } from '../../lib/core/stage-order';
import { buildStageRecord, checkStageRecord, type StageRecord } from '../../lib/core/stage-record';

function recordOf(stage: string, ids: string[]): StageRecord {
  return {
    format: 1,
    stage,
    bundleId: 'b'.repeat(64),
    recordedAt: '2026-11-30T10:00:00.000Z',
    applied: ids.map((id) => ({ id, checksum: `v1:${id}`, appliedAt: '2026-11-30T09:00:00.000Z' })),
    schemaHash: null,
    overrides: [],
  };
}

/** Migrations to apply, with the checksums {@link recordOf} gives them. */
const staged = (...ids: string[]) => ids.map((id) => ({ id, checksum: `v1:${id}` }));

describe('Core: stage order', () => {
  describe('placeInOrder', () => {
    it('gives the stage before, null for the first, and says when a stage is not in the order', () => {
      // Prepare
      const stages = ['dev', 'staging', 'production'];
      // Act / Assess
      expect(placeInOrder(stages, 'dev')).toEqual({ inOrder: true, previousStage: null });
      expect(placeInOrder(stages, 'production')).toEqual({ inOrder: true, previousStage: 'staging' });
      expect(placeInOrder(stages, 'qa')).toEqual({ inOrder: false });
    });
  });

  describe('decideStageOrder', () => {
    it('allows the first stage whatever it applies, and any stage that applies nothing', () => {
      // Act / Assess
      expect(decideStageOrder({ previousStage: null, previous: null, toApply: staged('app/0001_a') })).toEqual({ allowed: true });
      expect(decideStageOrder({ previousStage: 'dev', previous: null, toApply: [] })).toEqual({ allowed: true });
    });

    it('counts an original as done on a stage that applied only the squash replacing it (a fresh dev runs the squash alone)', () => {
      // Prepare: dev ran only a/0002_squashed (it replaces a/0001_x and a/0002_y); staging had a/0001_x and applies a/0002_y, then records the squash
      const catalog = buildCatalog([
        { path: 'a/0001_x.sql', content: 'CREATE TABLE x (id int);' },
        { path: 'a/0002_y.sql', content: 'CREATE TABLE y (id int);' },
        { path: 'a/0002_squashed.sql', content: '-- stagegate:replaces a/0001_x a/0002_y\nCREATE TABLE x (id int);\nCREATE TABLE y (id int);' },
      ]);
      const squash = catalog.find((m) => m.id === 'a/0002_squashed') as Migration;
      const original = catalog.find((m) => m.id === 'a/0002_y') as Migration;
      const dev: StageRecord = { ...recordOf('dev', []), applied: [{ id: squash.id, checksum: squash.checksum, appliedAt: '2026-11-30T09:00:00.000Z' }] };
      const steps: PlanStep[] = [{ kind: 'apply', migration: original }, { kind: 'record', migration: squash }];
      // Act
      const toApply = stagedMigrations(steps, catalog);
      const decision = decideStageOrder({ previousStage: 'dev', previous: dev, toApply });
      const otherText = decideStageOrder({ previousStage: 'dev', previous: { ...dev, applied: [{ ...(dev.applied[0] as StageRecord['applied'][number]), checksum: 'v1:other' }] }, toApply });
      // Assess
      expect(toApply).toEqual([
        { id: 'a/0002_y', checksum: original.checksum, squash: { id: squash.id, checksum: squash.checksum } },
        { id: 'a/0002_squashed', checksum: squash.checksum },
      ]);
      expect(decision).toEqual({ allowed: true });
      expect(otherText).toMatchObject({ allowed: false, missing: ['a/0002_y', 'a/0002_squashed'] });
    });

    it('refuses everything to apply when the previous stage never recorded a run', () => {
      // Act
      const decision = decideStageOrder({ previousStage: 'staging', previous: null, toApply: staged('app/0001_a', 'app/0002_b') });
      // Assess
      expect(decision).toEqual({ allowed: false, previousStage: 'staging', reason: 'no-record', missing: ['app/0001_a', 'app/0002_b'], changed: [] });
    });

    it('names only what the previous stage lacks, in the order it would run', () => {
      // Prepare
      const previous = recordOf('dev', ['app/0001_a', 'app/0003_c']);
      // Act
      const decision = decideStageOrder({ previousStage: 'dev', previous, toApply: staged('app/0003_c', 'app/0002_b', 'app/0004_d') });
      // Assess
      expect(decision).toEqual({ allowed: false, previousStage: 'dev', reason: 'not-applied', missing: ['app/0002_b', 'app/0004_d'], changed: [] });
    });

    it('refuses a migration the previous stage applied with another checksum: its file was edited since', () => {
      // Prepare: dev applied 0002 before it was edited
      const previous = recordOf('dev', ['app/0001_a', 'app/0002_b']);
      const edited = { id: 'app/0002_b', checksum: 'v1:edited' };
      // Act
      const onlyEdited = decideStageOrder({ previousStage: 'dev', previous, toApply: [edited] });
      const mixed = decideStageOrder({ previousStage: 'dev', previous, toApply: [edited, ...staged('app/0003_c')] });
      // Assess
      expect(onlyEdited).toEqual({ allowed: false, previousStage: 'dev', reason: 'checksum-differs', missing: ['app/0002_b'], changed: ['app/0002_b'] });
      expect(mixed).toEqual({ allowed: false, previousStage: 'dev', reason: 'not-applied', missing: ['app/0002_b', 'app/0003_c'], changed: ['app/0002_b'] });
    });

    it('allows a run whose migrations are all applied on the previous stage', () => {
      // Act / Assess
      expect(decideStageOrder({ previousStage: 'dev', previous: recordOf('dev', ['app/0001_a', 'app/0002_b']), toApply: staged('app/0002_b') })).toEqual({ allowed: true });
    });
  });

  describe('StageOrderError', () => {
    it('names the stages and the migrations, and the way out', () => {
      // Act
      const error = new StageOrderError({ stage: 'production', previousStage: 'staging', reason: 'not-applied', missing: ['shop/0004_refunds'] });
      // Assess
      expect(error.code).toBe('STAGE_ORDER');
      expect(error.message).toContain('production would apply 1 migration(s) that staging has not applied: shop/0004_refunds.');
      expect(error.remedy).toContain('--override-stage-order --reason');
    });

    it('says which files were edited after the previous stage applied them, and how to put them back', () => {
      // Act
      const edited = new StageOrderError({ stage: 'staging', previousStage: 'dev', reason: 'checksum-differs', missing: ['app/0002_b'], changed: ['app/0002_b'] });
      const mixed = new StageOrderError({ stage: 'staging', previousStage: 'dev', reason: 'not-applied', missing: ['app/0002_b', 'app/0003_c'], changed: ['app/0002_b'] });
      // Assess
      expect(edited.message).toContain('staging would apply 1 migration(s) whose file was edited after dev applied it (dev applied another checksum): app/0002_b.');
      expect(edited.remedy).toContain('Restore the text dev applied');
      expect(edited.details).toMatchObject({ reason: 'checksum-differs', changed: ['app/0002_b'] });
      expect(mixed.message).toContain('staging would apply 1 migration(s) that dev has not applied: app/0003_c. It would also apply 1 migration(s) whose file was edited');
    });

    it('keeps long lists in the details and shortens the message', () => {
      // Prepare
      const missing = Array.from({ length: 25 }, (_, i) => `app/${String(i + 1).padStart(4, '0')}_m`);
      // Act
      const error = new StageOrderError({ stage: 'staging', previousStage: 'dev', reason: 'no-record', missing });
      // Assess
      expect(error.message).toContain('and 5 more');
      expect(error.details.missing).toHaveLength(25);
    });
  });

  describe('parseStageList', () => {
    it('accepts names separated by commas and refuses repeats and odd names', () => {
      // Act / Assess
      expect(parseStageList('dev, staging,production')).toEqual({ ok: true, stages: ['dev', 'staging', 'production'] });
      expect(parseStageList('dev,dev')).toEqual({ ok: false, problem: 'names a stage twice' });
      expect(parseStageList('dev,,prod').ok).toBe(false);
      expect(parseStageList('dev,<prod>').ok).toBe(false);
    });
  });

  describe('stage records', () => {
    it('checks a parsed record and explains what is wrong', () => {
      // Prepare
      const record = buildStageRecord({ stage: 'dev', bundleId: 'b'.repeat(64), recordedAt: 'now', ledger: [], schemaHash: null, overrides: [] });
      // Act / Assess
      expect(checkStageRecord(JSON.parse(JSON.stringify(record)), 'dev')).toEqual({ ok: true, record });
      expect(checkStageRecord([], 'dev')).toEqual({ ok: false, problem: 'it is not a JSON object' });
      expect(checkStageRecord({ ...record, schemaHash: 5 }, 'dev')).toEqual({ ok: false, problem: 'schemaHash is neither a string nor null' });
      expect(checkStageRecord({ ...record, overrides: [{ reason: 'x' }] }, 'dev').ok).toBe(false);
    });
  });
});
