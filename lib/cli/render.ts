import type { MigrationRunnerError } from '../core/errors';
import type { RunResult, StatusEntry } from '../core/result';
import type { Style } from './style';
import { renderDriftNote } from './drift-render';

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
      return `${head}\n${renderPlan(result, style)}${renderDriftNote(result.drift, style)}\n`;
    case 'status':
      return `${head}\n${renderStatus(result.migrations ?? [], style)}${renderDriftNote(result.drift, style)}\n`;
    default:
      return `${renderMigrateSummary(result, style)}\n${head}\n`;
  }
}

function renderPlan(result: RunResult, style: Style): string {
  const plan = result.plan ?? [];
  if (plan.length === 0) return style.green('Up to date: nothing to apply.');
  const lines = plan.map((step, i) => {
    const notes = [step.kind === 'record' ? 'record only: its originals are applied' : '', step.noTransaction ? 'no transaction' : ''].filter(Boolean);
    return `  ${i + 1}. ${step.id}${notes.length ? style.dim(`  (${notes.join(', ')})`) : ''}`;
  });
  return `Plan: ${plan.length} migration${plan.length === 1 ? '' : 's'} to apply, in this order:\n${lines.join('\n')}`;
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

function renderMigrateSummary(result: RunResult, style: Style): string {
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
  lines.push(`${style.bold('what to do')}: ${error.remedy}`);
  return lines.join('\n') + '\n';
}

function oneLine(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
