import type { PlannedEntry, RunResult } from '../core/result';
import type { Style } from './style';

/** The mark of a reverse step, in plans and progress lines. */
export const REVERT_MARK = '↩';

/**
 * One step of a plan as the human forms show it: reverse steps marked `↩
 * revert` with the `.down.sql` that runs, applies as before.
 *
 * @example
 * planLine({ id: 'org/0003_x', file: 'org/0003_x.down.sql', kind: 'revert', noTransaction: false }, 0, style); // '  1. ↩ revert org/0003_x  (org/0003_x.down.sql)'
 */
export function planLine(
  step: Pick<PlannedEntry, 'id'> & { kind: string; file?: string; noTransaction?: boolean; losses?: readonly string[]; appliedDependents?: readonly string[] },
  index: number,
  style: Style,
): string {
  const late = step.appliedDependents ?? [];
  const notes = [
    step.kind === 'revert' ? step.file ?? '' : '',
    step.kind === 'record' ? 'record only: its originals are applied' : '',
    step.noTransaction ? 'no transaction' : '',
    late.length > 0 ? `merged late: ${late.join(', ')}, which depend${late.length === 1 ? 's' : ''} on it, ${late.length === 1 ? 'is' : 'are'} already applied here; a fresh database runs it first` : '',
  ].filter(Boolean);
  const what = step.kind === 'revert' ? `${style.yellow(`${REVERT_MARK} revert`)} ${step.id}` : step.id;
  const line = `  ${index + 1}. ${what}${notes.length ? style.dim(`  (${notes.join(', ')})`) : ''}`;
  // A reverse that drops tables or columns loses their data: say so before it runs, not after.
  const losses = step.losses ?? [];
  return losses.length === 0 ? line : `${line}\n     ${style.red(`loses ${losses.join(', ')}: their data is gone once it commits`)}`;
}

/**
 * The heading of a plan to a target (`plan --to`, and `migrate --to` before it runs).
 *
 * @example
 * targetPlanHeading('org/0001_initial', [{ kind: 'revert' }, { kind: 'apply' }]); // 'Plan to org/0001_initial: 1 to revert, 1 to apply, in this order:'
 */
export function targetPlanHeading(to: string, steps: readonly { kind: string }[]): string {
  const reverts = steps.filter((s) => s.kind === 'revert').length;
  const parts = [reverts > 0 ? `${reverts} to revert` : '', steps.length - reverts > 0 ? `${steps.length - reverts} to apply` : ''].filter(Boolean);
  return `Plan to ${to}: ${parts.join(', ')}, in this order:`;
}

/**
 * The closing line of `migrate --to`, or null for a run without a target.
 *
 * @example
 * targetSummary(result, style); // 'At org/0001_initial: reverted 3 migrations in 41 ms.'
 */
export function targetSummary(result: RunResult, style: Style): string | null {
  if (result.to === undefined) return null;
  if (result.status === 'up-to-date') return style.green(`Already at ${result.to}: nothing to do.`);
  const reverted = result.reverted?.length ?? 0;
  const count = (n: number, verb: string): string => (n > 0 ? `${verb} ${n} migration${n === 1 ? '' : 's'}` : '');
  const done = [count(reverted, 'reverted'), count(result.applied.length, 'applied')].filter(Boolean).join(' and ') || 'nothing done';
  if (result.status === 'incomplete') {
    return style.yellow(`Incomplete: ${done}; ${result.pending.length} step(s) still to go to ${result.to} (${result.pending.join(', ')}). Run again with --to ${result.to} to continue.`);
  }
  return style.green(`At ${result.to}: ${done} in ${result.durationMs} ms.`);
}
