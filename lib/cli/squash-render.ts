import { join, relative } from 'node:path';
import type { Style } from './style';

/**
 * The human form of `stagegate squash` and `--prune` results.
 *
 * @example
 * process.stdout.write(renderSquash(output.json, style));
 */
export function renderSquash(json: Record<string, unknown>, style: Style): string {
  const dir = typeof json.dir === 'string' ? json.dir : '';
  const shown = (file: unknown): string => {
    const path = relative(process.cwd(), join(dir, String(file)));
    return path.startsWith('..') ? join(dir, String(file)) : path;
  };
  if (json.pruned === true) {
    const removed = json.removed as string[];
    if (removed.length === 0) return `Nothing to prune: no squash of ${String(json.app)} has originals left.\n`;
    const checked = (json.checked as string[]).length > 0 ? `applied on ${(json.checked as string[]).join(', ')}` : 'nothing checked';
    const forced = json.forced ? style.yellow(` (forced: ${String(json.forced)})`) : '';
    return `${style.green(`Pruned ${removed.length} file(s)`)} replaced by ${(json.squashes as string[]).join(', ')}; ${checked}${forced}\n${removed.map((f) => `  removed ${shown(f)}`).join('\n')}\n`;
  }
  const replaced = json.replaced as string[];
  const lines = [
    `${style.green('Wrote')} ${shown(json.file)}${json.downFile ? ` and ${shown(json.downFile)}` : ''}`,
    `  replaces ${replaced.length} migration(s): ${replaced[0]} … ${replaced[replaced.length - 1]}`,
    `  ${String(json.objects)} object(s), ${String(json.statements)} statement(s)${(json.dependsOn as string[]).length > 0 ? `; depends on ${(json.dependsOn as string[]).join(', ')}` : ''}`,
    `  proven equivalent: fingerprint ${String(json.fingerprint)}${json.withData === true ? ', and the same rows in its tables' : ''}`,
  ];
  if (json.irreversible === true) lines.push(style.yellow('  irreversible: a replaced migration has no reverse script, so the squash has none'));
  lines.push(style.dim('  keep the originals until every stage has applied it; then: stagegate squash --prune'));
  return `${lines.join('\n')}\n`;
}
