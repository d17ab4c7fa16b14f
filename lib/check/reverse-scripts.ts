import type { SourceFile } from '../core/catalog';
import { parseDirectives } from '../core/directives';
import { CheckKind, type CheckProblem } from '../core/errors';
import { splitStatements } from '../core/sql-split';

const UP_FILE = /^([a-z][a-z0-9_]*\/[0-9]{4,}_[a-z0-9_]+)\.sql$/;

/**
 * Migrations that cannot be reverted by accident: neither a `.down.sql` nor
 * `-- stagegate:irreversible` (`MISSING_REVERSE`), or a reverse script with
 * no statement for a migration that has some (`EMPTY_REVERSE`: the file
 * `stagegate new` creates, never filled in).
 *
 * @example
 * reverseScriptProblems([{ path: 'a/0001_x.sql', content: 'CREATE TABLE x ()' }]); // [{ code: 'MISSING_REVERSE', ... }]
 */
export function reverseScriptProblems(files: readonly SourceFile[]): CheckProblem[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  return files.flatMap((file): CheckProblem[] => {
    const id = UP_FILE.exec(file.path)?.[1];
    if (!id || file.content === undefined || parseDirectives(file.content).directives.irreversible) return [];
    const down = byPath.get(`${id}.down.sql`);
    const markIt = 'or add -- stagegate:irreversible to its first lines (with a comment saying why)';
    if (!down) {
      return [{ kind: CheckKind.REVERSE, code: 'MISSING_REVERSE', file: file.path, message: `has no reverse script (${id}.down.sql) and is not marked irreversible`, suggestion: `Add ${id}.down.sql that undoes it, ${markIt}.` }];
    }
    if (down.content === undefined || splitStatements(down.content).length > 0 || splitStatements(file.content).length === 0) return [];
    return [{ kind: CheckKind.REVERSE, code: 'EMPTY_REVERSE', file: down.path, message: `is empty, but ${id} has statements to undo`, suggestion: `Write the statements that undo ${id}, ${markIt}.` }];
  });
}
