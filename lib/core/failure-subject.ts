/**
 * What a failed statement was about, read from Postgres' error fields, its
 * message and the statement, and the facts about the live database that the
 * adapter gathers for it. Pure: the adapter asks what {@link subjectOf}
 * names, and `explain.ts` turns the answers into words.
 */

/** Postgres' own object fields of an error (`pg`'s `DatabaseError`), when it sent them. */
export interface PgObjectFields {
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

/** A possibly schema-qualified name; `schema` null means "as the search path finds it". */
export interface QualifiedName {
  schema: string | null;
  name: string;
}

/** The objects a failure names, for the adapter to look up. */
export interface FailureSubject {
  sqlstate: string;
  /** The table the failure is about (or the relation that exists / is missing). */
  relation: QualifiedName | null;
  column: string | null;
  /** 42710: the kind (`type`, `constraint`, `trigger`…) and name of the object that already exists. */
  object: { kind: string; name: string } | null;
  /** A foreign key's target, when the statement has `REFERENCES t (cols)` that the failure concerns. */
  referenced: (QualifiedName & { columns: string[] }) | null;
  /** 23505: the key's columns, when each is a plain column name (values are never kept). */
  keyColumns: string[] | null;
}

export interface LiveColumn {
  name: string;
  type: string;
  nullable: boolean;
  default: string | null;
}

export interface LiveRelation {
  schema: string;
  name: string;
  /** `table`, `view`, `index`, `sequence`, `materialized view`, `partitioned table`, … */
  kind: string;
  columns: LiveColumn[];
  /** How many columns were left out of `columns` to keep the report small. */
  columnsOmitted?: number;
}

/** A session holding a lock a failed statement needed. Never its query text (it may hold values). */
export interface LockHolder {
  pid: number;
  application: string;
  state: string;
  /** Seconds its transaction has been open, or null outside a transaction. */
  transactionSeconds: number | null;
}

/**
 * What the live database holds, as the migration found it (its own
 * statements rolled back). A missing key means "not looked up"; null means
 * "looked up, does not exist". Counts only: never row values.
 */
export interface LiveFacts {
  relation?: LiveRelation | null;
  column?: LiveColumn | null;
  referenced?: LiveRelation | null;
  /** Schemas holding a relation of the missing name outside the search path. */
  elsewhere?: string[];
  existing?: { kind: string; name: string; definition: string | null } | null;
  rowCount?: number;
  duplicateGroups?: number;
  holders?: LockHolder[];
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const QUALIFIED = String.raw`(${IDENT}(?:\s*\.\s*${IDENT})?)`;

function unquote(identifier: string): string {
  const text = identifier.trim();
  return text.startsWith('"') ? text.slice(1, -1).replace(/""/g, '"') : text.toLowerCase();
}

/**
 * A name as SQL writes it (`app.org`, `"My Table"`), unquoted and folded the way Postgres does.
 *
 * @example
 * parseQualifiedName('app."Org"'); // → { schema: 'app', name: 'Org' }
 */
export function parseQualifiedName(text: string): QualifiedName {
  const parts = text.match(new RegExp(IDENT, 'g')) ?? [text];
  if (parts.length >= 2) return { schema: unquote(parts[0] as string), name: unquote(parts[1] as string) };
  return { schema: null, name: unquote(parts[0] as string) };
}

/** A name Postgres printed in a message (already folded): `app.org` or `org`. */
function printedName(text: string, statement: string): QualifiedName {
  const dot = text.indexOf('.');
  if (dot > 0 && !/"/.test(text)) return { schema: text.slice(0, dot), name: text.slice(dot + 1) };
  // The message drops the schema; the statement may have it.
  const qualified = new RegExp(String.raw`(${IDENT})\s*\.\s*"?${escapeRegExp(text)}"?(?![A-Za-z0-9_$])`, 'i').exec(statement);
  return { schema: qualified ? unquote(qualified[1] as string) : null, name: text };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function columnList(text: string): string[] {
  return text.split(',').map((c) => unquote(c));
}

/** Every `REFERENCES t (cols)` of the statement. */
function referencesOf(statement: string): (QualifiedName & { columns: string[] })[] {
  const pattern = new RegExp(String.raw`references\s+${QUALIFIED}\s*(?:\(([^)]*)\))?`, 'gi');
  return [...statement.matchAll(pattern)].map((m) => ({ ...parseQualifiedName(m[1] as string), columns: m[2] ? columnList(m[2]) : [] }));
}

/**
 * The table a statement works on: `ALTER TABLE t`, `CREATE [UNIQUE] INDEX … ON t`,
 * `CREATE TABLE t`, `LOCK t`, `DROP TABLE t`, `INSERT INTO t`, `UPDATE t`, `DELETE FROM t`, `TRUNCATE t`.
 *
 * @example
 * statementTable('ALTER TABLE ONLY app.org ADD COLUMN x int'); // → { schema: 'app', name: 'org' }
 */
export function statementTable(statement: string): QualifiedName | null {
  const patterns = [
    String.raw`^\s*alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?${QUALIFIED}`,
    String.raw`^\s*create\s+(?:unique\s+)?index\s+(?:concurrently\s+)?(?:(?:if\s+not\s+exists\s+)?${IDENT}\s+)?on\s+(?:only\s+)?${QUALIFIED}`,
    String.raw`^\s*create\s+(?:(?:global\s+|local\s+)?(?:temp|temporary|unlogged)\s+)?table\s+(?:if\s+not\s+exists\s+)?${QUALIFIED}`,
    String.raw`^\s*(?:lock(?:\s+table)?|drop\s+table(?:\s+if\s+exists)?|insert\s+into|update(?:\s+only)?|delete\s+from(?:\s+only)?|truncate(?:\s+table)?(?:\s+only)?)\s+${QUALIFIED}`,
  ];
  for (const pattern of patterns) {
    const match = new RegExp(pattern, 'i').exec(statement);
    const name = match?.[match.length - 1];
    if (name) return parseQualifiedName(name);
  }
  return null;
}

/** `Key (a, b)=(…)` in a unique violation's detail: the column names, if all are plain names. */
function keyColumnsOf(detail: string | undefined): string[] | null {
  const match = /^Key \((.*?)\)=\(/.exec(detail ?? '');
  if (!match) return null;
  const columns = (match[1] as string).split(',').map((c) => c.trim());
  return columns.every((c) => new RegExp(`^${IDENT}$`).test(c)) ? columns.map(unquote) : null;
}

/** The failed statement's error, as far as the subject needs it. */
export interface FailureText {
  sqlstate: string | null;
  pgMessage: string;
  statement: string;
  detail?: string;
  pgObject?: PgObjectFields;
}

/**
 * The objects a failure is about, or null when stagegate has no explanation
 * for its SQLSTATE (then nothing is looked up).
 *
 * @example
 * subjectOf({ sqlstate: '42P07', pgMessage: 'relation "org" already exists', statement: 'CREATE TABLE org (id int)' });
 * // → { sqlstate: '42P07', relation: { schema: null, name: 'org' }, column: null, … }
 */
export function subjectOf(failure: FailureText): FailureSubject | null {
  const { sqlstate, pgMessage: message, statement, pgObject = {} } = failure;
  if (sqlstate === null) return null;
  const subject: FailureSubject = { sqlstate, relation: null, column: null, object: null, referenced: null, keyColumns: null };
  const fromFields = pgObject.table ? { schema: pgObject.schema ?? null, name: pgObject.table } : null;
  const quoted = [...message.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => m[1] as string);
  switch (sqlstate) {
    case '42P07':
      return { ...subject, relation: printedName(quoted[0] ?? '', statement) };
    case '42701':
      return { ...subject, column: quoted[0] ?? null, relation: printedName(quoted[1] ?? '', statement) };
    case '42P01': {
      const missing = printedName(quoted[0] ?? '', statement);
      const referenced = referencesOf(statement).find((r) => r.name === missing.name) ?? null;
      return { ...subject, relation: missing, referenced };
    }
    case '42703': {
      const column = quoted[0] ?? null;
      const referenced = /foreign key/i.test(message) ? (referencesOf(statement).find((r) => column !== null && r.columns.includes(column)) ?? null) : null;
      const relation = quoted[1] ? printedName(quoted[1], statement) : statementTable(statement);
      return { ...subject, column, referenced, relation };
    }
    case '42710': {
      const match = /^(\w+(?: \w+)?) "((?:[^"]|"")*)"(?: for (?:relation|table) "((?:[^"]|"")*)")?/.exec(message);
      if (!match) return subject;
      return { ...subject, object: { kind: match[1] as string, name: match[2] as string }, relation: match[3] ? printedName(match[3], statement) : null };
    }
    case '23502':
      return { ...subject, relation: fromFields ?? statementTable(statement), column: pgObject.column ?? quoted[0] ?? null };
    case '23505':
      return { ...subject, relation: fromFields ?? statementTable(statement), keyColumns: keyColumnsOf(failure.detail) };
    case '55P03':
      return { ...subject, relation: statementTable(statement) };
    default:
      return null;
  }
}
