import { matrixHtml } from '../../lib/cli/matrix-html';
import { renderResult } from '../../lib/cli/render';
import { renderStageMatrix } from '../../lib/cli/render-matrix';
import { styleFor } from '../../lib/cli/style';
import type { RunResult } from '../../lib/core/result';
import { buildStageMatrix } from '../../lib/core/stage-matrix';
import type { StageRecord } from '../../lib/core/stage-record';

const PLAIN = styleFor({ isTTY: false }, {});

const record = (stage: string, ids: string[]): StageRecord => ({
  format: 1,
  stage,
  bundleId: 'b'.repeat(64),
  recordedAt: '2026-11-30T10:00:00.000Z',
  applied: ids.map((id) => ({ id, checksum: 'v1:a', appliedAt: '2026-11-30T09:00:00.000Z' })),
  schemaHash: 'e'.repeat(64),
  overrides: [],
});

describe('Rendering: stage order and the stage matrix', () => {
  it('escapes every text of the page, stage names and ids included, and loads nothing', () => {
    // Prepare
    const stages = ['dev', 'qa<script>'];
    const matrix = buildStageMatrix([{ id: 'app/0001_a', checksum: 'v1:a' }], stages, { dev: record('dev', ['app/0001_a', 'app/0002_"x"&<y>']), 'qa<script>': null });
    // Act
    const html = matrixHtml(matrix, 'f'.repeat(64), '2026-11-30T10:00:00.000Z');
    // Assess
    expect(html).toContain('<th>qa&lt;script&gt;</th>');
    expect(html).toContain('app/0002_&quot;x&quot;&amp;&lt;y&gt;');
    expect(html).not.toContain('<script');
    expect(html).not.toMatch(/\b(src|href)=/);
  });

  it('shows a matrix whose stages all agree, and says so', () => {
    // Prepare
    const matrix = buildStageMatrix([{ id: 'app/0001_a', checksum: 'v1:a' }], ['dev', 'staging'], { dev: record('dev', ['app/0001_a']), staging: record('staging', ['app/0001_a']) });
    // Act
    const text = renderStageMatrix(matrix, 'f'.repeat(64), PLAIN);
    // Assess
    expect(text).toMatch(/ {2}app\/0001_a {2}2026-11-30 {2}2026-11-30\n/);
    expect(text).toContain(`Schema fingerprints agree (${'e'.repeat(12)}).`);
  });

  it('says there is nothing to compare when no stage has a fingerprint, not that they differ', () => {
    // Prepare: two stages that never recorded a run
    const matrix = buildStageMatrix([{ id: 'app/0001_a', checksum: 'v1:a' }], ['dev', 'staging'], { dev: null, staging: null });
    // Act
    const text = renderStageMatrix(matrix, 'f'.repeat(64), PLAIN);
    // Assess
    expect(text).toContain('No stage has recorded a schema fingerprint yet: there is nothing to compare.');
    expect(text).not.toContain('differ');
  });

  it('tells a migrate result run under an override, and a stage record left unwritten', () => {
    // Prepare
    const result: RunResult = {
      ok: true,
      action: 'migrate',
      bundleId: 'f'.repeat(64),
      status: 'applied',
      applied: [{ id: 'app/0001_a', durationMs: 3, method: 'executed' }],
      pending: [],
      stageOrderOverride: { reason: 'hotfix INC-123', previousStage: 'staging', missing: ['app/0001_a'] },
      stageRecord: { written: false, reason: 'S3 refused to write the stage record of production.' },
      durationMs: 10,
    };
    // Act
    const text = renderResult(result, PLAIN);
    // Assess
    expect(text).toContain('Stage order overridden ("hotfix INC-123"): staging had not applied app/0001_a.');
    expect(text).toContain('The stage record was not written: S3 refused to write the stage record of production.');
    expect(text).toContain('Until it is written, the next stage of the order refuses what this run applied (STAGE_ORDER');
    expect(text).toContain('then run migrate on this stage again (with nothing to apply, it writes the record).');
  });
});
