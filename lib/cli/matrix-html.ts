import type { MatrixCell, StageMatrix } from '../core/stage-matrix';
import { cellText, fingerprintText } from './render-matrix';

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1f2328}
table{border-collapse:collapse}th,td{border:1px solid #d0d7de;padding:4px 10px;text-align:left}
th{background:#f6f8fa}td.id{font-family:ui-monospace,monospace}
.applied{background:#dafbe1}.pending{background:#fff8c5}.checksum-differs,.unknown{background:#ffebe9}
.absent,.no-record{color:#656d76}.agree{color:#1a7f37}.differ{color:#cf222e}tr.extra td.id{font-style:italic}`;

/** Text made safe for HTML content and attribute values. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/**
 * The stage matrix as one self-contained HTML page (inline CSS, no scripts,
 * no external resources), for a pipeline to publish. Every text from a
 * bundle or a record is escaped.
 *
 * @example
 * await writeFile('stages.html', matrixHtml(matrix, bundleId, new Date().toISOString()));
 */
export function matrixHtml(matrix: StageMatrix, bundleId: string, generatedAt: string): string {
  const stages = matrix.stages.map((s) => s.stage);
  const head = `<tr><th>migration</th>${stages.map((s) => `<th>${escapeHtml(s)}</th>`).join('')}</tr>`;
  const rows = matrix.rows.map((row) => {
    const cells = stages.map((stage) => {
      const cell = row.cells[stage] as MatrixCell;
      return `<td class="${cell.state}" title="${escapeHtml(cell.appliedAt ?? cell.state)}">${escapeHtml(cell.state === 'applied' ? `applied ${cellText(cell)}` : cellText(cell))}</td>`;
    });
    return `<tr${row.inBundle ? '' : ' class="extra"'}><td class="id">${escapeHtml(row.id)}</td>${cells.join('')}</tr>`;
  });
  const records = matrix.stages.map((s) =>
    s.recorded
      ? `<li><b>${escapeHtml(s.stage)}</b>: bundle <code>${escapeHtml(s.bundleId ?? '')}</code>, recorded ${escapeHtml(s.recordedAt ?? '')}, schema <code>${escapeHtml(s.schemaHash ?? 'none')}</code>${s.overrides > 0 ? `, ${s.overrides} stage-order override(s)` : ''}</li>`
      : `<li><b>${escapeHtml(s.stage)}</b>: has never recorded a run</li>`,
  );
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>stagegate: stage matrix</title><style>${STYLE}</style></head>
<body><h1>Stage matrix</h1>
<p>Bundle <code>${escapeHtml(bundleId)}</code> against every stage's record, generated ${escapeHtml(generatedAt)}.</p>
<p class="${matrix.fingerprints.agree ? 'agree' : 'differ'}">${escapeHtml(fingerprintText(matrix))}</p>
<table>${head}${rows.join('\n')}</table>
<h2>Stages</h2><ul>${records.join('')}</ul>
</body></html>
`;
}
