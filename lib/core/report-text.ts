/** One line of a report of problems in files (lint findings, check problems). */
export interface ReportItem {
  file: string;
  line?: number;
  column?: number;
  /** The rule id or problem code. */
  tag: string;
  message: string;
  suggestion?: string;
}

/**
 * Problems grouped by file: a heading per file, then `file:line:column tag
 * message` for each (clickable in editors and CI logs) and the suggestion
 * under it. Files and lines in the order given.
 *
 * @example
 * groupedReport([{ file: 'a/0001_x.sql', line: 2, column: 1, tag: 'drop-table', message: 'drops table t' }]);
 * // 'a/0001_x.sql\n  a/0001_x.sql:2:1 drop-table drops table t'
 */
export function groupedReport(items: readonly ReportItem[]): string {
  const byFile = new Map<string, ReportItem[]>();
  for (const item of items) byFile.set(item.file, [...(byFile.get(item.file) ?? []), item]);
  const blocks = [...byFile].map(([file, list]) => {
    const lines = list.flatMap((item) => {
      const place = item.line ? `:${item.line}${item.column ? `:${item.column}` : ''}` : '';
      const head = `  ${file}${place} ${item.tag} ${item.message}`;
      return item.suggestion ? [head, `      → ${item.suggestion}`] : [head];
    });
    return [file, ...lines].join('\n');
  });
  return blocks.join('\n');
}

/**
 * A count of problems and the files they are in.
 *
 * @example
 * countText(3, 'finding', 2); // '3 findings in 2 files'
 */
export function countText(count: number, noun: string, files: number): string {
  return `${count} ${noun}${count === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}`;
}
