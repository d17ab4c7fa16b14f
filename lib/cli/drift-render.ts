import type { AdoptResult } from '../adopt';
import { driftLines, nothingComparedBecause, type DriftReport } from '../core/drift';
import type { DriftResult } from '../drift';
import type { Style } from './style';

/**
 * The drift note under `plan` and `status`: nothing when the schema matches
 * the baseline, "no baseline yet", or the differences.
 *
 * @example
 * const note = renderDriftNote(result.drift, style); // '' when there is no drift
 */
export function renderDriftNote(drift: DriftReport | undefined, style: Style): string {
  if (drift === undefined) return '';
  if (!drift.baseline) return `\n${style.dim(`Drift: ${nothingComparedBecause(drift)}; nothing compared (the next migrate stores one).`)}`;
  if (drift.differences.length === 0) return '';
  const n = drift.differences.length;
  return `\n${style.yellow(`Drift: ${n} object${n === 1 ? '' : 's'} changed outside migrations; migrate will refuse to run (see stagegate drift):`)}\n${driftLines(drift.differences).join('\n')}`;
}

/**
 * The human form of `stagegate drift` (a drift found is an error, rendered as one).
 *
 * @example
 * process.stdout.write(renderDrift(result, style));
 */
export function renderDrift(result: DriftResult, style: Style): string {
  if (result.accepted === undefined) {
    if (result.baseline) return `${style.green('No drift: the schema is as the last run left it.')}\n`;
    const because = nothingComparedBecause(result);
    return `${style.yellow(`${because.charAt(0).toUpperCase()}${because.slice(1)}: nothing to compare. The next migrate stores one, or \`stagegate drift --accept --reason "…"\`.`)}\n`;
  }
  const n = result.accepted.length;
  const head = style.green(`Accepted: the live schema is the new baseline (${n} difference${n === 1 ? '' : 's'} accepted, reason recorded).`);
  return `${head}\n${n > 0 ? `${driftLines(result.accepted).join('\n')}\n` : ''}`;
}

/**
 * The human form of `stagegate adopt`: what was proven, or with `--force` what was skipped.
 *
 * @example
 * process.stdout.write(renderAdopt(result, style));
 */
export function renderAdopt(result: AdoptResult, style: Style): string {
  const lines = result.verified
    ? [style.green(`Adopted ${result.id}: its ${result.objects.length} object(s) on the database are exactly what it makes; recorded as applied (method adopted).`)]
    : [style.yellow(`Adopted ${result.id} with --force (reason recorded); not verified:`), ...result.skipped.map((s) => `  - ${s}`)];
  lines.push(
    style.dim(
      result.baselineUpdated
        ? 'The drift baseline now expects its objects.'
        : 'The drift baseline was not changed: its objects count as drift until `stagegate drift --accept` (or there is no baseline yet).',
    ),
  );
  return `${lines.join('\n')}\n`;
}
