import { lastRunSentence, type LastRun } from '../../lib/core/last-run';

const run = (over: Partial<LastRun>): LastRun => ({
  id: 7,
  action: 'migrate',
  outcome: 'failed',
  actor: 'cli:alice@laptop',
  startedAt: '2026-12-01T02:04:11.000Z',
  finishedAt: '2026-12-01T02:04:12.000Z',
  applied: [],
  reverted: [],
  error: null,
  ...over,
});

describe('Function: lastRunSentence', () => {
  it('says nothing of a run that succeeded, or of none', () => {
    // Act / Assess
    expect(lastRunSentence(run({ outcome: 'succeeded' }))).toBeNull();
    expect(lastRunSentence(null)).toBeNull();
  });

  it('names the code, file, line and migration of a failed run, and what it kept', () => {
    // Act
    const sentence = lastRunSentence(run({ applied: ['a/0001_x'], error: { code: 'MIGRATION_FAILED', message: '…', migration: 'a/0002_y', file: 'a/0002_y.sql', line: 4 } }));
    // Assess
    expect(sentence).toBe(
      "Last run #7 (migrate by cli:alice@laptop, started 2026-12-01T02:04:11.000Z) failed: MIGRATION_FAILED at a/0002_y.sql:4 (a/0002_y); it applied 1 migration(s) before, which stay applied. Its whole error is in the ledger's runs table, id 7.",
    );
  });

  it('says what a failed revert reverted before it failed', () => {
    // Act
    const sentence = lastRunSentence(run({ reverted: ['a/0003_z', 'a/0002_y'], error: { code: 'MIGRATION_FAILED', message: '…', migration: 'a/0001_x', file: 'a/0001_x.down.sql', line: 1 } }));
    // Assess
    expect(sentence).toContain('failed: MIGRATION_FAILED at a/0001_x.down.sql:1 (a/0001_x); it reverted 2 migration(s) before (a/0003_z, a/0002_y), which stay reverted.');
  });

  it('says a refusal by its code alone, and what an incomplete or abandoned run means', () => {
    // Act / Assess
    expect(lastRunSentence(run({ error: { code: 'STAGE_ORDER', message: '…', migration: null, file: null, line: null } }))).toContain('failed: STAGE_ORDER. Its whole error');
    expect(lastRunSentence(run({ outcome: 'incomplete', applied: ['a/0001_x'] }))).toContain('stopped at its time limit between migrations (run migrate again); it applied 1 migration(s)');
    expect(lastRunSentence(run({ outcome: 'abandoned' }))).toContain('was abandoned: its process died');
  });
});
