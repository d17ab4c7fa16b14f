/**
 * What a reverse script destroys: tables, schemas and columns it drops and
 * rows it deletes. `plan --to` names them before anything runs, since their
 * data is gone once the step commits (a later forward run recreates the
 * objects, empty). Read from the statements' text, as `squash` reads data
 * statements; a function called from the script is not looked into.
 */
import { splitStatements } from './sql-split';
import { leadingText } from './squash-statements';

const NAME = String.raw`(?:"(?:[^"]|"")+"|[a-z_][\w$]*)(?:\.(?:"(?:[^"]|"")+"|[a-z_][\w$]*))?`;
const DROP_OBJECTS = new RegExp(String.raw`^drop\s+(table|schema)\s+(?:if\s+exists\s+)?(.+?)(?:\s+(?:cascade|restrict))?\s*;?\s*$`, 'is');
const ALTER_TABLE = new RegExp(String.raw`^alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(${NAME})\s+(.*)$`, 'is');
/** `DROP [COLUMN] [IF EXISTS] name` inside `ALTER TABLE`, but not `DROP CONSTRAINT|DEFAULT|NOT NULL|IDENTITY|EXPRESSION`. */
const DROP_COLUMN = new RegExp(String.raw`(?:^|,)\s*drop\s+(?:column\s+)?(?:if\s+exists\s+)?(?!(?:constraint|default|not|identity|expression)\b)(${NAME})`, 'gi');
const DELETE_ROWS = new RegExp(String.raw`^(?:delete\s+from\s+(?:only\s+)?|truncate\s+(?:table\s+)?(?:only\s+)?)(${NAME}(?:\s*,\s*${NAME})*)`, 'is');

const names = (list: string): string[] => list.split(',').map((name) => name.trim()).filter(Boolean);

function lossesOf(statement: string): string[] {
  const text = leadingText(statement);
  const drop = DROP_OBJECTS.exec(text);
  if (drop) return names(drop[2] as string).map((name) => `${(drop[1] as string).toLowerCase()} ${name}`);
  const alter = ALTER_TABLE.exec(text);
  if (alter) return [...(alter[2] as string).matchAll(DROP_COLUMN)].map((m) => `column ${alter[1] as string}.${m[1] as string}`);
  const rows = DELETE_ROWS.exec(text);
  return rows ? names(rows[1] as string).map((name) => `rows of ${name}`) : [];
}

/**
 * Every table, schema and column `sql` drops and every table whose rows it
 * deletes, in file order, once each.
 *
 * @example
 * reverseLosses('ALTER TABLE widget DROP COLUMN colour, DROP size;\nDROP TABLE IF EXISTS part CASCADE;');
 * // ['column widget.colour', 'column widget.size', 'table part']
 */
export function reverseLosses(sql: string): string[] {
  const losses = new Set<string>();
  for (const statement of splitStatements(sql)) for (const loss of lossesOf(statement.sql)) losses.add(loss);
  return [...losses];
}
