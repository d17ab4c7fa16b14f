/**
 * The words for a migration that the function's deadline cut: cancelled by
 * stagegate at the deadline, or stopped by a `statement_timeout` or
 * `lock_timeout` that was capped to the time left. Pure: the engine says
 * what happened (see `run-steps.ts`), this says it to people.
 */

export const DeadlineCutBy = {
  /** Still running at the deadline: stagegate sent PostgreSQL's cancel request for its session. */
  CANCEL: 'cancel',
  /** A statement ran into `statement_timeout`, capped to the time left when the migration was sent. */
  STATEMENT_TIMEOUT: 'statement_timeout',
  /** A lock wait ran into `lock_timeout`, capped to the time left when the migration was sent. */
  LOCK_TIMEOUT: 'lock_timeout',
} as const;
export type DeadlineCutBy = (typeof DeadlineCutBy)[keyof typeof DeadlineCutBy];

/** How the deadline cut a migration, kept in its failure (`MigrationFailure.deadline`). */
export interface DeadlineCut {
  by: DeadlineCutBy;
  /** How long the migration had run when it was cut, in ms. */
  afterMs: number;
  /** The time it had: what was left before the deadline (less the safety margin) when it was sent, in ms. */
  budgetMs: number;
  /** For a capped timeout: the configured value, in ms (0 = none). */
  configuredMs?: number;
  /** Who ran it, as the ledger says (`lambda:<function>:<request>`). */
  actor: string;
  /** The stage the function serves, when it knows it. */
  stage?: string;
}

/** `function svc-prod-migrate (stage prod)`, or the actor itself when it is not a Lambda's. */
function runnerOf(cut: DeadlineCut): string {
  const lambda = /^lambda:([^:]+)/.exec(cut.actor);
  const who = lambda ? `function ${lambda[1]}` : cut.actor;
  return cut.stage ? `${who} (stage ${cut.stage})` : who;
}

/** `stagegate migrate --stage prod` (or without `--stage` when the stage is not known). */
function cliCommand(cut: DeadlineCut): string {
  return cut.stage ? `stagegate migrate --stage ${cut.stage}` : 'stagegate migrate --stage <stage>';
}

/**
 * The sentence that replaces Postgres' "canceling statement…" as what happened.
 *
 * @example
 * deadlineSentence({ by: 'cancel', afterMs: 1500, budgetMs: 1500, actor: 'lambda:svc-migrate:r1', stage: 'prod' }, 'app/0002_x', 'app/0002_x.sql');
 * // 'Migration app/0002_x (app/0002_x.sql) was cancelled at the deadline of function svc-migrate (stage prod) after 1500 ms …'
 */
export function deadlineSentence(cut: DeadlineCut, subject: string, file: string): string {
  const how =
    cut.by === DeadlineCutBy.CANCEL
      ? `was cancelled at the deadline of ${runnerOf(cut)} after ${cut.afterMs} ms`
      : `was cut at the deadline of ${runnerOf(cut)} after ${cut.afterMs} ms: its ${cut.by} was capped to the ${cut.budgetMs} ms left (configured: ${cut.configuredMs ? `${cut.configuredMs} ms` : 'none'})`;
  return `${subject} (${file}) ${how}; it had ${cut.budgetMs} ms, the time left before the deadline less the safety margin.`;
}

/** The ways out of a migration too long for one invocation. */
function roomFor(cut: DeadlineCut): string {
  return (
    `It cannot finish within one invocation: run it from a machine that reaches the database with \`${cliCommand(cut)}\` (the CLI has no deadline), ` +
    'or split it into smaller migrations, or raise the function\'s timeout (up to 15 min) or lower STAGEGATE_SAFETY_MARGIN_MS; then deploy again.'
  );
}

/**
 * The remedy for a migration the deadline cut. `noTransaction`: it ran in
 * autocommit, so what ran before the cut statement stays; `reverting`: the
 * reverse script; `notSent`: a `no-transaction` one whose first statement was
 * never sent (the deadline passed while its ledger row was written).
 *
 * @example
 * deadlineRemedy(cut, 'app/0002_x', 'app/0002_x.sql:3', false, false);
 */
export function deadlineRemedy(cut: DeadlineCut, id: string, at: string, noTransaction: boolean, reverting: boolean, notSent = false): string {
  const script = reverting ? 'reverse script' : 'migration';
  if (notSent) {
    return `None of its statements was sent: the deadline passed before the first one, so nothing of the ${script} ran and its ledger row was removed; ${id} is still pending and the next run runs it. ${roomFor(cut)}`;
  }
  const lock =
    cut.by === DeadlineCutBy.LOCK_TIMEOUT
      ? 'The lock wait was cut by the deadline, not by the configured lock_timeout: raising lock_timeout would not help. If another session holds the lock for long, find it in pg_stat_activity (pg_blocking_pids). '
      : '';
  if (noTransaction) {
    return (
      `${lock}The ${script} runs without a transaction: the statements before ${at} took effect and stay, the one at ${at} was cancelled (a CREATE INDEX CONCURRENTLY cut there leaves an INVALID index to drop), and the rest did not run. ` +
      `Its ledger row says failed, and every run refuses to start until it is settled: inspect the database, then run the rest by hand and \`stagegate resolve ${id} --applied\`, or undo what ran and \`stagegate resolve ${id} --rolled-back\`. ` +
      roomFor(cut)
    );
  }
  const kept = reverting ? `${id} is still applied` : 'migrations before it stay applied';
  return `${lock}The ${script} was rolled back and left no trace; ${kept}. ${roomFor(cut)}`;
}
