import { CellState, type MatrixCell, type StageMatrix } from '../core/stage-matrix';
import type { Style } from './style';

/** The words of a cell, short enough for a terminal: an applied migration shows only its date. */
export function cellText(cell: MatrixCell): string {
  const day = cell.appliedAt?.slice(0, 10) ?? '';
  switch (cell.state) {
    case CellState.APPLIED:
      return day;
    case CellState.UNKNOWN:
      return `unknown ${day}`;
    case CellState.NO_RECORD:
      return 'no record';
    case CellState.ABSENT:
      return '-';
    default:
      return cell.state;
  }
}

/** One line on whether the stages' schema fingerprints agree, and which differ. */
export function fingerprintText(matrix: StageMatrix): string {
  if (matrix.fingerprints.agree) return `Schema fingerprints agree (${matrix.fingerprints.groups[0]?.schemaHash?.slice(0, 12) ?? ''}).`;
  // Nothing to compare is not a difference.
  if (matrix.fingerprints.groups.every((g) => g.schemaHash === null)) return 'No stage has recorded a schema fingerprint yet: there is nothing to compare.';
  const groups = matrix.fingerprints.groups.map((g) => `${g.stages.join(', ')}: ${g.schemaHash === null ? 'none' : g.schemaHash.slice(0, 12)}`);
  return `Schema fingerprints differ: ${groups.join('; ')}.`;
}

/**
 * The stage matrix for a terminal: migration ids down, stages across, an
 * applied migration shown by its date, then one line per stage and the
 * fingerprints.
 *
 * @example
 * process.stdout.write(renderStageMatrix(matrix, bundleId, style));
 */
export function renderStageMatrix(matrix: StageMatrix, bundleId: string, style: Style): string {
  const stages = matrix.stages.map((s) => s.stage);
  const idWidth = Math.max(9, ...matrix.rows.map((r) => r.id.length));
  const widths = stages.map((stage) => Math.max(stage.length, ...matrix.rows.map((r) => cellText(r.cells[stage] as MatrixCell).length)));
  const paint = (cell: MatrixCell, text: string): string => {
    if (cell.state === CellState.APPLIED) return style.green(text);
    if (cell.state === CellState.PENDING) return style.yellow(text);
    if (cell.state === CellState.ABSENT || cell.state === CellState.NO_RECORD) return style.dim(text);
    return style.red(text);
  };
  const header = `  ${'migration'.padEnd(idWidth)}  ${stages.map((s, i) => style.bold(s.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd();
  const lines = matrix.rows.map((row) => {
    const cells = stages.map((stage, i) => {
      const cell = row.cells[stage] as MatrixCell;
      return paint(cell, cellText(cell).padEnd(widths[i] ?? 0));
    });
    return `  ${row.id.padEnd(idWidth)}  ${cells.join('  ')}`.trimEnd();
  });
  const records = matrix.stages.map((s) =>
    s.recorded
      ? `  ${s.stage}: bundle ${s.bundleId?.slice(0, 12)}, recorded ${s.recordedAt}${s.overrides > 0 ? style.yellow(`, ${s.overrides} stage-order override(s)`) : ''}`
      : `  ${s.stage}: ${style.dim('has never recorded a run')}`,
  );
  const agree = matrix.fingerprints.agree ? style.green(fingerprintText(matrix)) : style.red(fingerprintText(matrix));
  return [
    style.dim(`bundle ${bundleId.slice(0, 12)} against every stage's record (a date: applied then)`),
    header,
    ...(lines.length > 0 ? lines : ['  (no migrations)']),
    '',
    'Stages:',
    ...records,
    agree,
    '',
  ].join('\n');
}
