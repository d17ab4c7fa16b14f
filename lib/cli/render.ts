import type { MigrationRunnerError } from '../core/errors';
import type { RunResult, StatusEntry } from '../core/result';
import { planLine, targetPlanHeading, targetSummary } from './render-target';
import { renderRehearsal, renderRehearsalFailure } from './render-rehearsal';
import type { Style } from './style';
import { renderDriftNote } from './drift-render';
import { renderLastRun } from './render-last-run';

const short = (bundleId: string): string => bundleId.slice(0, 12);

/**
 * The human summary of a result: the plan for `plan`, a table for `status`,
 * and a closing line for `migrate` (the per-migration lines were printed as
 * they happened).
 *
 * @example
 * process.stdout.write(renderResult(result, style));
 */
export function renderResult(result: RunResult, style: Style): string {
  const head = style.dim(`bundle ${short(result.bundleId)}`);
  switch (result.action) {
    case 'plan':
      if (result.rehearsal) return `${head}\n${renderRehearsal(result.rehearsal, style).trimEnd()}${renderDriftNote(result.drift, style)}\n`;
      return `${head}\n${renderPlan(result, style)}${renderDriftNote(result.drift, style)}\n`;
    case 'status':
      return `${head}\n${renderStatus(result.migrations ?? [], style)}${renderBlocked(result.blocked, style)}${renderDriftNote(result.drift, style)}${renderLastRun(result.lastRun, style)}\n`;
    default:
      return `${renderMigrateSummary(result, style)}\n${renderStageNotes(result, style)}${head}\n`;
  }
}

function renderPlan(result: RunResult, style: Style): string {
  const plan = result.plan ?? [];
  if (plan.length === 0) return style.green(result.to === undefined ? 'Up to date: nothing to apply.' : `Already at ${result.to}: nothing to do.`);
  const lines = plan.map((step, i) => planLine(step, i, style));
  const heading = result.to === undefined ? `Plan: ${plan.length} migration${plan.length === 1 ? '' : 's'} to apply, in this order:` : targetPlanHeading(result.to, plan);
  return `${heading}\n${lines.join('\n')}`;
}

function renderStatus(entries: StatusEntry[], style: Style): string {
  if (entries.length === 0) return 'No migrations.';
  const width = Math.max(...entries.map((e) => e.id.length));
  const paint = (state: string): string =>
    state === 'applied' ? style.green(state) : state === 'pending' || state === 'replaced' ? style.yellow(state) : style.red(state);
  const lines = entries.map((e) => `  ${e.id.padEnd(width)}  ${paint(e.state)}${e.appliedAt ? style.dim(`  ${e.appliedAt}`) : ''}`);
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.state, (counts.get(e.state) ?? 0) + 1);
  const summary = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
  return `${lines.join('\n')}\n${summary}`;
}

/** Why `migrate` would stop on this database before running anything, with what to do. */
function renderBlocked(blocked: RunResult['blocked'], style: Style): string {
  if (blocked === undefined) return '';
  return `\n${style.red(style.bold(`migrate would refuse: ${blocked.code}`))}: ${blocked.message}\n${style.bold('what to do')}: ${blocked.remedy}`;
}

/** What an unwritten record costs, and how to write it: the migrations stay applied either way. */
const UNWRITTEN_RECORD =
  'Until it is written, the next stage of the order refuses what this run applied (STAGE_ORDER, as if this stage had not applied it): fix the cause, then run migrate on this stage again (with nothing to apply, it writes the record).';

/** A stage-order override this run used, and a stage record it could not write. */
function renderStageNotes(result: RunResult, style: Style): string {
  const notes: string[] = [];
  const override = result.stageOrderOverride;
  if (override) notes.push(style.yellow(`Stage order overridden ("${override.reason}"): ${override.previousStage} had not applied ${override.missing.join(', ')}.`));
  if (result.stageRecord?.written === false) notes.push(style.yellow(`The stage record was not written: ${result.stageRecord.reason} ${UNWRITTEN_RECORD}`));
  return notes.map((n) => `${n}\n`).join('');
}

function renderMigrateSummary(result: RunResult, style: Style): string {
  const atTarget = targetSummary(result, style);
  if (atTarget !== null) return atTarget;
  const n = result.applied.length;
  const plural = n === 1 ? '' : 's';
  if (result.status === 'up-to-date') return style.green('Up to date: nothing to apply.');
  if (result.status === 'incomplete') {
    return style.yellow(`Incomplete: applied ${n} migration${plural}; ${result.pending.length} still pending (${result.pending.join(', ')}). Run again to continue.`);
  }
  return style.green(`Applied ${n} migration${plural} in ${result.durationMs} ms. The database is up to date.`);
}

/**
 * The human form of an error: code and message, Postgres' details when
 * there are any, what was applied before, and what to do next.
 */
export function renderError(error: MigrationRunnerError, style: Style): string {
  if (error.code === 'REHEARSAL_FAILED') return renderRehearsalFailure(error, style);
  const lines = [`${style.red(style.bold(`error ${error.code}`))}: ${error.message}`];
  const d = error.details;
  const field = (label: string, value: unknown): void => {
    if (typeof value === 'string' && value !== '') lines.push(`  ${label}: ${value}`);
  };
  field('statement', typeof d.statement === 'string' ? oneLine(d.statement) : undefined);
  field('detail', d.detail);
  field('hint', d.hint);
  field('where', d.where);
  const applied = Array.isArray(d.applied) ? (d.applied as { id: string }[]) : [];
  if (applied.length > 0) lines.push(`  applied before the failure (kept): ${applied.map((a) => a.id).join(', ')}`);
  const reverted = Array.isArray(d.reverted) ? (d.reverted as { id: string }[]) : [];
  if (reverted.length > 0) lines.push(`  reverted before the failure (stay reverted): ${reverted.map((r) => r.id).join(', ')}`);
  lines.push(`${style.bold('what to do')}: ${error.remedy}`);
  return lines.join('\n') + '\n';
}

function oneLine(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
