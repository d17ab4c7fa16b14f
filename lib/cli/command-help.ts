import { COMMANDS, type Command } from './args';
import { HELP } from './help';

/** A line that starts an entry of the usage list or of an options list. */
const USAGE_ENTRY = /^ {2}stagegate (\S+)/;
const OPTION_ENTRY = /^ {2}--([a-z-]+)/;

/**
 * The help of one command, cut from {@link HELP} so the two never disagree:
 * its usage lines, then every option it accepts with its description.
 *
 * @example
 * process.stdout.write(commandHelp('migrate')); // stagegate migrate [--dir DIR | --bundle FILE] …
 */
export function commandHelp(command: Command): string {
  const lines = HELP.split('\n');
  const usage = entries(lines, (line) => USAGE_ENTRY.exec(line)?.[1] === command, USAGE_ENTRY);
  const allowed: readonly string[] = COMMANDS[command];
  const options = entries(lines, (line) => allowed.includes(OPTION_ENTRY.exec(line)?.[1] ?? '') && inScope(line, command), OPTION_ENTRY);
  return `Usage:\n${usage.join('\n')}\n\nOptions:\n${options.join('\n')}\n\nExit codes: 0 success, 1 failure (the error code is printed), 2 bad usage.\n`;
}

/** An option line whose description starts `plan/migrate:` (or `squash --prune:`) is about those commands alone. */
function inScope(line: string, command: Command): boolean {
  const scope = /^ {2}--\S+(?: [^ ]+)*? {2,}([a-z]+(?:\/[a-z]+)*)(?: --[a-z-]+)?: /.exec(line)?.[1];
  return scope === undefined || scope.split('/').includes(command);
}

/** Each entry `wanted` picks, with the indented lines that continue it (up to the next entry or a blank line). */
function entries(lines: readonly string[], wanted: (line: string) => boolean, entry: RegExp): string[] {
  const picked: string[] = [];
  let inside = false;
  for (const line of lines) {
    if (entry.test(line)) inside = wanted(line);
    else if (!/^ {3,}|^ {2}\(/.test(line)) inside = false;
    if (inside) picked.push(line);
  }
  return picked;
}
