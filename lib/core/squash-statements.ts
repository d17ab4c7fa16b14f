/**
 * What a squash can carry. A squash is rebuilt from the schema the range
 * leaves behind, so it can only stand for statements whose whole effect is
 * schema covered by the fingerprint. Data statements (their effect is rows)
 * and statements on things the fingerprint does not see (grants, owners,
 * policies, roles...) would be lost silently: they are found here so the
 * squash is refused instead.
 */
import { splitStatements } from './sql-split';

/** Why a statement cannot be squashed. */
export const StatementConcern = {
  /** Changes rows: the squash would create the schema without them. */
  DATA: 'data',
  /** Changes something outside the schema fingerprint, so the proof could not vouch for it. */
  UNPROVEN: 'unproven',
} as const;
export type StatementConcern = (typeof StatementConcern)[keyof typeof StatementConcern];

/** A statement of a migration that a squash cannot stand for. */
export interface StatementFinding {
  concern: StatementConcern;
  /** 1-based line of the statement in its file. */
  line: number;
  /** The statement's leading words, e.g. `INSERT INTO`. */
  what: string;
}

const DATA_FIRST_WORDS = new Set(['insert', 'update', 'delete', 'copy', 'merge', 'truncate', 'refresh']);
/** Statements whose body may change rows: `WITH ... INSERT`, `DO $$ ... UPDATE ...`, `CALL`. */
const BODY_FIRST_WORDS = new Set(['with', 'do', 'call']);
const DATA_WORD = /\b(insert|update|delete|merge|truncate|copy)\b/i;
const SEQUENCE_STATE = /\b(setval|nextval)\s*\(/i;
const UNPROVEN_FIRST_WORDS = new Set(['security', 'reassign', 'import']);
/** `GRANT|REVOKE … ON <object>` is carried (and proven); `GRANT role TO role` is membership, which lives outside the database. */
const OBJECT_PRIVILEGE = /^(grant|revoke)\s.*?\son\s/is;
/** `CREATE|ALTER|DROP <object>` for objects the fingerprint does not cover. */
const UNPROVEN_OBJECT = new RegExp(
  '^(create|alter|drop)\\s+(or\\s+replace\\s+)?(policy|rule|role|user|group|publication|subscription|cast|operator|aggregate|event\\s+trigger|' +
    'foreign|server|text\\s+search|collation|conversion|statistics|transform|access\\s+method|language|default\\s+privileges|tablespace|database|' +
    '(trusted\\s+)?(procedural\\s+)?language|user\\s+mapping)\\b',
  'i',
);
const OWNER_TO = /\bowner\s+to\b/i;
/** Table inheritance (not partitions) is not in the fingerprint either. */
const INHERITANCE = /\binherits\s*\(|^alter\s+table\s+.*\s(no\s+)?inherit\s+(?!;)[a-z_"]/is;

/** The statement without its leading comments (line and block comments). */
export function leadingText(sql: string): string {
  let text = sql;
  for (;;) {
    const trimmed = text.trimStart();
    if (trimmed.startsWith('--')) text = trimmed.slice(trimmed.indexOf('\n') === -1 ? trimmed.length : trimmed.indexOf('\n') + 1);
    else if (trimmed.startsWith('/*')) text = trimmed.slice(trimmed.indexOf('*/') === -1 ? trimmed.length : trimmed.indexOf('*/') + 2);
    else return trimmed;
  }
}

function concernOf(sql: string): StatementConcern | null {
  const text = leadingText(sql);
  const first = (/^[a-z]+/i.exec(text)?.[0] ?? '').toLowerCase();
  if (DATA_FIRST_WORDS.has(first)) return StatementConcern.DATA;
  if (BODY_FIRST_WORDS.has(first) && DATA_WORD.test(text)) return StatementConcern.DATA;
  if (first === 'select' && SEQUENCE_STATE.test(text)) return StatementConcern.DATA;
  if (UNPROVEN_FIRST_WORDS.has(first) || UNPROVEN_OBJECT.test(text)) return StatementConcern.UNPROVEN;
  if ((first === 'grant' || first === 'revoke') && !OBJECT_PRIVILEGE.test(text)) return StatementConcern.UNPROVEN;
  if ((first === 'alter' && OWNER_TO.test(text)) || ((first === 'create' || first === 'alter') && INHERITANCE.test(text))) return StatementConcern.UNPROVEN;
  return null;
}

/**
 * Every statement of `sql` that a squash cannot stand for, in file order.
 * Statements are split like the engine splits them; `CREATE FUNCTION`
 * bodies are not looked into (a function that writes rows is schema).
 *
 * @example
 * findUnsquashable("CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);");
 * // [{ concern: 'data', line: 2, what: 'INSERT INTO t' }]
 */
export function findUnsquashable(sql: string): StatementFinding[] {
  const findings: StatementFinding[] = [];
  for (const statement of splitStatements(sql)) {
    const concern = concernOf(statement.sql);
    if (concern === null) continue;
    const what = leadingText(statement.sql).split(/\s+/).slice(0, 3).join(' ');
    findings.push({ concern, line: statement.line + leadingLines(statement.sql), what: what.length > 60 ? `${what.slice(0, 60)}…` : what });
  }
  return findings;
}

/** Lines taken by comments kept at the start of a statement, so the line points at its first word. */
function leadingLines(sql: string): number {
  const skipped = sql.length - leadingText(sql).length;
  return (sql.slice(0, skipped).match(/\n/g) ?? []).length;
}
