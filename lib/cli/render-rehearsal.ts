import { REHEARSAL_REMEDY, type MigrationRunnerError } from '../core/errors';
import { RehearsalStatus, type RehearsalOutcome } from '../core/rehearsal';
import type { Style } from './style';

const ROLLED_BACK = 'Nothing was kept: the rehearsal rolled back.';

function place(outcome: RehearsalOutcome): string {
  const f = outcome.failure;
  if (!f) return outcome.file;
  return `${f.file}:${f.line}${f.column ? `:${f.column}` : ''}`;
}

function renderOutcome(outcome: RehearsalOutcome, style: Style): string[] {
  switch (outcome.status) {
    case RehearsalStatus.REHEARSED:
      return [`  ${style.green('✓')} rehearsed ${outcome.id} ${style.dim(`(${outcome.durationMs ?? 0} ms${outcome.reason ? `; ${outcome.reason}` : ''})`)}`];
    case RehearsalStatus.NOT_REHEARSABLE:
      return [`  ${style.yellow('–')} ${outcome.id} not rehearsable ${style.dim(`(${outcome.reason ?? 'no reason given'})`)}`];
    default: {
      const f = outcome.failure;
      const lines = [`  ${style.red('✗')} ${outcome.id} failed at ${place(outcome)} — ${f?.sqlstate ? `${f.sqlstate} ` : ''}${f?.pgMessage ?? 'unknown error'}`];
      if (f?.explanation) {
        lines.push(`      ${f.explanation.summary}`, `      ${f.explanation.liveState}`, `      ${style.bold('way out')}: ${f.explanation.wayOut}`);
      } else if (f?.statement) {
        lines.push(`      statement: ${f.statement.replace(/\s+/g, ' ').slice(0, 200)}`);
      }
      if (outcome.reason) lines.push(style.dim(`      note: ${outcome.reason}`));
      return lines;
    }
  }
}

/**
 * The human report of a rehearsal: one line per migration of the plan
 * (`✓ rehearsed`, `✗ … failed at file:line:column — SQLSTATE message` with
 * the explanation, `– not rehearsable`), then the reminder that nothing was kept.
 *
 * @example
 * process.stdout.write(renderRehearsal(result.rehearsal ?? [], style));
 */
export function renderRehearsal(outcomes: readonly RehearsalOutcome[], style: Style): string {
  if (outcomes.length === 0) return `${style.green('Up to date: nothing to rehearse.')}\n`;
  const lines = [`Rehearsal of ${outcomes.length} migration${outcomes.length === 1 ? '' : 's'}, in plan order:`, ...outcomes.flatMap((o) => renderOutcome(o, style)), ROLLED_BACK];
  return lines.join('\n') + '\n';
}

/**
 * The human form of `REHEARSAL_FAILED`: the code and the first line of its
 * message, the report, and what to do.
 *
 * @example
 * process.stderr.write(renderRehearsalFailure(error, style));
 */
export function renderRehearsalFailure(error: MigrationRunnerError, style: Style): string {
  const outcomes = Array.isArray(error.details.rehearsal) ? (error.details.rehearsal as RehearsalOutcome[]) : [];
  const head = `${style.red(style.bold(`error ${error.code}`))}: ${error.message.split('\n')[0] ?? ''}`;
  // Each failure's way out is in the report already; the remedy would repeat the first.
  const remedy = outcomes.some((o) => o.failure?.explanation) ? REHEARSAL_REMEDY : error.remedy;
  return `${head}\n${renderRehearsal(outcomes, style)}${style.bold('what to do')}: ${remedy}\n`;
}
