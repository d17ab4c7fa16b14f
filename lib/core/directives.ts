import type { Directives } from './migration';
import { isMigrationId } from './migration';
import { isQuotedAt } from './sql-split';

/** A directive problem, with its 1-based line. */
export interface DirectiveProblem {
  line: number;
  message: string;
}

export interface ParsedDirectives {
  directives: Directives;
  problems: DirectiveProblem[];
}

const DIRECTIVE = /^--\s*stagegate:(\S*)\s*(.*)$/;
const KNOWN = ['depends-on', 'replaces', 'no-transaction', 'irreversible', 'allow'];
const RULE_NAME = /^[a-z][a-z0-9-]*$/;

/**
 * Reads the `-- stagegate:` directives from the leading comment lines of a
 * migration (blank lines, `--` and `/* … *\/` comments before the first SQL line). A
 * directive further down would be silently ignored by readers who expect it
 * to work, so it is reported as a problem instead.
 *
 * @example
 * parseDirectives('-- stagegate:no-transaction\nCREATE INDEX CONCURRENTLY ...').directives.noTransaction; // true
 */
export function parseDirectives(sql: string): ParsedDirectives {
  const directives: Directives = { dependsOn: [], replaces: [], noTransaction: false, irreversible: false, allow: [] };
  const problems: DirectiveProblem[] = [];
  // Most migrations have no directive at all: no need to look at each line.
  if (!sql.includes('stagegate:')) return { directives, problems };
  const lines = sql.split(/\r\n?|\n/);
  let inHeader = true;
  // Nesting of a `/* … */` comment in the header (block comments nest in PostgreSQL).
  let blockDepth = 0;
  for (let index = 0; index < lines.length; index += 1) {
    const text = (lines[index] as string).trim();
    if (inHeader && (blockDepth > 0 || text.startsWith('/*'))) {
      const after = afterBlockComment(text, blockDepth);
      blockDepth = after.depth;
      // Inside the comment nothing is a directive; SQL after its end ends the header.
      if (blockDepth > 0 || after.rest === '' || after.rest.startsWith('--')) continue;
      inHeader = false;
    }
    if (inHeader && text !== '' && !text.startsWith('--')) inHeader = false;
    const match = DIRECTIVE.exec(text);
    if (!match) continue;
    const line = index + 1;
    if (!inHeader) {
      // A line of a string or a routine's body is text, not a comment of the file.
      if (isQuotedAt(sql, lineStart(sql, index))) continue;
      problems.push({ line, message: `directive "${text}" comes after the first SQL statement and would be ignored; move it to the comment lines at the top of the file` });
      continue;
    }
    applyDirective(match[1] as string, (match[2] as string).trim(), line, directives, problems);
  }
  return { directives, problems };
}

/** The offset of line `index` (0-based) of `sql`; lines end at `\r\n`, `\r` or `\n`. */
function lineStart(sql: string, index: number): number {
  const breaks = /\r\n?|\n/g;
  for (let line = 0; line < index; line += 1) if (!breaks.exec(sql)) return sql.length;
  return breaks.lastIndex;
}

/** Reads a header line of a block comment open `depth` deep: the depth after it, and the text after its end. */
function afterBlockComment(text: string, depth: number): { depth: number; rest: string } {
  let d = depth;
  for (let i = 0; i < text.length - 1; i += 1) {
    const pair = text.slice(i, i + 2);
    if (pair === '/*') d += 1;
    else if (pair === '*/') d -= 1;
    else continue;
    i += 1;
    if (d === 0) return { depth: 0, rest: text.slice(i + 1).trim() };
  }
  return { depth: d, rest: '' };
}

function applyDirective(
  name: string,
  argument: string,
  line: number,
  directives: Directives,
  problems: DirectiveProblem[],
): void {
  const words = argument === '' ? [] : argument.split(/\s+/);
  switch (name) {
    case 'depends-on':
    case 'replaces': {
      const target = name === 'depends-on' ? directives.dependsOn : directives.replaces;
      if (words.length === 0) problems.push({ line, message: `stagegate:${name} needs at least one migration id (app/NNNN_name)` });
      for (const word of words) {
        if (isMigrationId(word)) target.push(word);
        else problems.push({ line, message: `stagegate:${name}: "${word}" is not a migration id (expected app/NNNN_name, e.g. organization/0002_add_type)` });
      }
      return;
    }
    case 'no-transaction':
    case 'irreversible':
      if (words.length > 0) problems.push({ line, message: `stagegate:${name} takes no arguments, found "${argument}"` });
      if (name === 'no-transaction') directives.noTransaction = true;
      else directives.irreversible = true;
      return;
    case 'allow': {
      const [rule, ...reason] = words;
      if (!rule || !RULE_NAME.test(rule) || reason.length === 0) {
        problems.push({ line, message: 'stagegate:allow needs a rule name and a reason: -- stagegate:allow <rule> <reason>' });
        return;
      }
      directives.allow.push({ rule, reason: reason.join(' ') });
      return;
    }
    default:
      problems.push({ line, message: `unknown directive "stagegate:${name}"; known directives: ${KNOWN.join(', ')}` });
  }
}

/** A comment that starts like a directive (any case, with or without the colon) but is not read as one. */
const LOOKALIKE = /^--\s*stagegate\b/i;

/**
 * Comment lines that look like directives but are not read as any, such as
 * `-- stagegate no-transaction` or `-- Stagegate:depends-on …`: the file runs
 * as if they were not there. For `stagegate lint`; the engine ignores them.
 *
 * @example
 * misspeltDirectives('-- stagegate no-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);'); // [{ line: 1, message: '…' }]
 */
export function misspeltDirectives(sql: string): DirectiveProblem[] {
  const problems: DirectiveProblem[] = [];
  sql.split(/\r\n?|\n/).forEach((raw, index) => {
    const text = raw.trim();
    if (LOOKALIKE.test(text) && !DIRECTIVE.test(text) && !isQuotedAt(sql, lineStart(sql, index))) {
      problems.push({ line: index + 1, message: `"${text}" looks like a directive but is not read as one: write it as -- stagegate:<directive> (lowercase, with the colon), or reword the comment` });
    }
  });
  return problems;
}
