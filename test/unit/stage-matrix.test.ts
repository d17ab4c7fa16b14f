import { buildStageMatrix } from '../../lib/core/stage-matrix';
import type { StageRecord } from '../../lib/core/stage-record';

const STAGES = ['dev', 'staging', 'production'];
const BUNDLE = [
  { id: 'app/0001_a', checksum: 'v1:a' },
  { id: 'app/0002_b', checksum: 'v1:b' },
];

function recordOf(stage: string, applied: [string, string][], schemaHash: string | null): StageRecord {
  return {
    format: 1,
    stage,
    bundleId: 'b'.repeat(64),
    recordedAt: '2026-11-30T10:00:00.000Z',
    applied: applied.map(([id, checksum]) => ({ id, checksum, appliedAt: `2026-11-2${stage.length % 10}T08:00:00.000Z` })),
    schemaHash,
    overrides: [],
  };
}

describe('Core: the stage matrix', () => {
  it('gives every migration a state per stage, then the ids only records know', () => {
    // Prepare
    const records = {
      dev: recordOf('dev', [['app/0001_a', 'v1:a'], ['app/0002_b', 'v1:b'], ['app/0003_x', 'v1:x']], 'h1'),
      staging: recordOf('staging', [['app/0001_a', 'v1:edited']], 'h2'),
      production: null,
    };
    // Act
    const matrix = buildStageMatrix(BUNDLE, STAGES, records);
    // Assess
    const states = matrix.rows.map((row) => [row.id, row.inBundle, ...STAGES.map((s) => row.cells[s]?.state)]);
    expect(states).toEqual([
      ['app/0001_a', true, 'applied', 'checksum-differs', 'no-record'],
      ['app/0002_b', true, 'applied', 'pending', 'no-record'],
      ['app/0003_x', false, 'unknown', 'absent', 'no-record'],
    ]);
    expect(matrix.rows[0]?.cells.dev?.appliedAt).toBe('2026-11-23T08:00:00.000Z');
    expect(matrix.rows[1]?.cells.staging?.appliedAt).toBeNull();
    expect(matrix.stages.map((s) => [s.stage, s.recorded])).toEqual([['dev', true], ['staging', true], ['production', false]]);
  });

  it('says the fingerprints agree only when every stage has the same one', () => {
    // Prepare
    const same = { dev: recordOf('dev', [], 'h1'), staging: recordOf('staging', [], 'h1'), production: recordOf('production', [], 'h1') };
    const differ = { ...same, production: recordOf('production', [], 'h9') };
    const missing = { ...same, production: null };
    // Act
    const agreeing = buildStageMatrix(BUNDLE, STAGES, same).fingerprints;
    const differing = buildStageMatrix(BUNDLE, STAGES, differ).fingerprints;
    const incomplete = buildStageMatrix(BUNDLE, STAGES, missing).fingerprints;
    // Assess
    expect(agreeing).toEqual({ agree: true, groups: [{ schemaHash: 'h1', stages: STAGES }] });
    expect(differing).toEqual({ agree: false, groups: [{ schemaHash: 'h1', stages: ['dev', 'staging'] }, { schemaHash: 'h9', stages: ['production'] }] });
    expect(incomplete.agree).toBe(false);
    expect(incomplete.groups).toContainEqual({ schemaHash: null, stages: ['production'] });
  });
});
