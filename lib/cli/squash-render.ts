import type { Style } from './style';

/**
 * The human form of `stagegate squash` and `--prune` results.
 *
 * @example
 * process.stdout.write(renderSquash(output.json, style));
 */
export function renderSquash(json: Record<string, unknown>, style: Style): string {
  if (json.pruned === true) {
    const removed = json.paths as string[];
    if (removed.length === 0) return `Nothing to prune: no squash of ${String(json.app)} has originals left.\n`;
    const checked = (json.checked as string[]).length > 0 ? `applied on ${(json.checked as string[]).join(', ')}` : 'nothing checked';
    const forced = json.forced ? style.yellow(` (forced: ${String(json.forced)})`) : '';
    return `${style.green(`Pruned ${removed.length} file(s)`)} replaced by ${(json.squashes as string[]).join(', ')}; ${checked}${forced}\n${removed.map((f) => `  removed ${f}`).join('\n')}\n`;
  }
  const replaced = json.replaced as string[];
  const lines = [
    `${style.green('Wrote')} ${String(json.path)}${json.downPath ? ` and ${String(json.downPath)}` : ''}`,
    `  replaces ${replaced.length} migration(s): ${replaced[0]} … ${replaced[replaced.length - 1]}`,
    `  ${String(json.objects)} object(s), ${String(json.statements)} statement(s)${(json.dependsOn as string[]).length > 0 ? `; depends on ${(json.dependsOn as string[]).join(', ')}` : ''}`,
    `  proven equivalent: fingerprint ${String(json.fingerprint)}${json.withData === true ? ', and the same rows in its tables' : ''}`,
  ];
  if (json.irreversible === true) lines.push(style.yellow('  irreversible: a replaced migration has no reverse script, so the squash has none'));
  lines.push(style.dim('  keep the originals until every stage has applied it; then: stagegate squash --prune'));
  return `${lines.join('\n')}\n`;
}
