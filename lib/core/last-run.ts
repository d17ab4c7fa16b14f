/**
 * The newest row of the ledger's runs table, as `status` reports it: what
 * an engineer needs after a failed deploy (which run, which file and line,
 * what it kept) without reading the table by hand. Plain data.
 */

/** How the newest run ended, and where it failed. */
export interface LastRun {
  /** Its id in the runs table. */
  id: number;
  /** `migrate`, `resolve`, `drift-accept` or `adopt`. */
  action: string;
  /** `running`, `succeeded`, `failed`, `incomplete` or `abandoned`. */
  outcome: string;
  actor: string;
  startedAt: string;
  finishedAt: string | null;
  /** What it applied (before the failure, for a failed run; that stays applied). */
  applied: string[];
  /** What it reverted (`migrate --to`; before the failure, for a failed run: that stays reverted). */
  reverted: string[];
  /** Its error, for a failed run: the code and, when a migration failed, which one, its file and line. */
  error: { code: string; message: string; migration: string | null; file: string | null; line: number | null } | null;
}

/** What an outcome other than `succeeded` means, in words. */
const OUTCOME_WORDS: Record<string, string> = {
  running: 'is still running',
  incomplete: 'stopped at its time limit between migrations (run migrate again)',
  abandoned: 'was abandoned: its process died before it ended',
};

/**
 * One sentence about the last run when it did not succeed, else null: a
 * successful last run is what status shows anyway.
 *
 * @example
 * lastRunSentence(run);
 * // 'Last run #7 (migrate by cli:alice@laptop, started 2026-12-01T02:04:11.000Z) failed: MIGRATION_FAILED at app/0003_x.sql:4 (app/0003_x); it applied 2 migration(s) before, which stay applied.'
 */
export function lastRunSentence(run: LastRun | null | undefined): string | null {
  if (!run || run.outcome === 'succeeded') return null;
  const head = `Last run #${run.id} (${run.action} by ${run.actor}, started ${run.startedAt})`;
  const kept =
    (run.applied.length > 0 ? `; it applied ${run.applied.length} migration(s) before, which stay applied` : '') +
    (run.reverted.length > 0 ? `; it reverted ${run.reverted.length} migration(s) before (${run.reverted.join(', ')}), which stay reverted` : '');
  if (run.outcome !== 'failed') return `${head} ${OUTCOME_WORDS[run.outcome] ?? run.outcome}${kept}.`;
  const error = run.error;
  if (!error) return `${head} failed${kept}.`;
  const where = error.file ? ` at ${error.file}${error.line !== null ? `:${error.line}` : ''}${error.migration ? ` (${error.migration})` : ''}` : '';
  return `${head} failed: ${error.code}${where}${kept}. Its whole error is in the ledger's runs table, id ${run.id}.`;
}
