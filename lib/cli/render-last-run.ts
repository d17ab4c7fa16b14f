import { lastRunSentence, type LastRun } from '../core/last-run';
import type { Style } from './style';

/**
 * The line `status` adds when the ledger's last run did not succeed (failed,
 * incomplete, abandoned, still running); nothing otherwise.
 *
 * @example
 * process.stdout.write(renderLastRun(result.lastRun, style));
 */
export function renderLastRun(run: LastRun | null | undefined, style: Style): string {
  const sentence = lastRunSentence(run);
  if (sentence === null) return '';
  return `\n${run?.outcome === 'failed' ? style.red(sentence) : style.yellow(sentence)}`;
}
