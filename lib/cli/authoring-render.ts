import type { CheckReport } from '../check/check-migrations';
import type { LintReport } from '../lint/lint-files';
import type { Style } from './style';

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/**
 * The files `stagegate new` wrote.
 *
 * @example
 * renderNew('shop/0002_items', ['migrations/shop/0002_items.sql', 'migrations/shop/0002_items.down.sql']);
 */
export function renderNew(id: string, files: readonly string[]): string {
  return `Created ${id}\n${files.map((f) => `  ${f}`).join('\n')}\n`;
}

/** The allowed findings, one line each with the reason given. */
function renderAllowed(report: Pick<LintReport, 'allowed'>, style: Style): string {
  return report.allowed.map((a) => style.dim(`  allowed ${a.file}:${a.line}:${a.column} ${a.rule}: ${a.reason}`)).join('\n');
}

/**
 * A clean lint run: the count, and each finding an allow directive switched off.
 *
 * @example
 * process.stdout.write(renderLintClean(report, style));
 */
export function renderLintClean(report: LintReport, style: Style): string {
  const head = style.green(`Lint: ${plural(report.files, 'file')}, no findings${report.allowed.length ? ` (${report.allowed.length} allowed)` : ''}.`);
  return [head, renderAllowed(report, style)].filter(Boolean).join('\n') + '\n';
}

/**
 * A passing check: what was checked, and what was not.
 *
 * @example
 * process.stdout.write(renderCheckPassed(report, style));
 */
export function renderCheckPassed(report: CheckReport, style: Style): string {
  const lines = [style.green(`Check passed: ${plural(report.migrations, 'migration')} build into a bundle, lint clean, every one reversible or marked irreversible.`)];
  if (report.database) lines.push(`  applied to an empty database: ${plural(report.database.applied, 'migration')} (${report.database.database}, dropped)`);
  lines.push(`  reverse round trip: ${report.reverse}`);
  const allowed = renderAllowed(report.lint, style);
  return [...lines, allowed].filter(Boolean).join('\n') + '\n';
}
