import type { AlterTableStmt, Constraint, CreateStmt, CreateTableAsStmt, Node } from 'libpg-query';
import { normaliseSql } from '../core/checksum';
import { misspeltDirectives, parseDirectives } from '../core/directives';
import { locate, splitStatements, type SqlStatement } from '../core/sql-split';
import { copyFromStdinIn, psqlMetaCommandIn } from '../core/transaction-control';
import { alterCommands, nodeOf, tableKey } from './ast';
import type { LintFindingData } from '../core/errors';
import type { ParseSql } from './parse-sql';
import { LINT_RULES, lintRule } from './registry';
import { LintRuleId, type LintRule, type StatementContext } from './rule';
import { TRANSACTION_RULES } from './rules-transaction';
import type { SchemaModel } from './schema-model';

/** One lint finding (file, 1-based line and column, rule, message, safer form). Plain data: `--json` prints it as it is. */
export type LintFinding = LintFindingData;

/** A finding switched off by `-- stagegate:allow`, with the reason given. */
export interface AllowedFinding extends LintFinding {
  reason: string;
}

export interface FileLint {
  findings: LintFinding[];
  allowed: AllowedFinding[];
}

/** One file to lint. */
export interface LintInput {
  file: string;
  sql: string;
  /**
   * Set for a reverse script (`.down.sql`), which runs the way its migration
   * says: only its syntax, its directives and the transaction rules are
   * checked (undoing a change means dropping what it added).
   */
  reverseOf?: { noTransaction: boolean };
}

/** What the statements before the current one did, within one migration. */
interface MigrationState {
  newTables: Set<string>;
  notValid: Map<string, LintRuleId>;
}

/**
 * Lints one migration file: its directives, every statement's syntax with
 * PostgreSQL's parser, and every rule of {@link LINT_RULES}. `schema` holds
 * what earlier migrations did and is updated with what this one does.
 *
 * @example
 * const { findings } = lintMigration({ file: 'org/0002_x.sql', sql }, parse, new SchemaModel());
 */
export function lintMigration(input: LintInput, parse: ParseSql, schema: SchemaModel): FileLint {
  const { directives, problems } = parseDirectives(input.sql);
  const found: LintFinding[] = [...problems, ...misspeltDirectives(input.sql)].map((p) =>
    finding(p.message.startsWith('stagegate:allow') ? LintRuleId.ALLOW_NEEDS_REASON : LintRuleId.BAD_DIRECTIVE, input.file, p.line, 1, p.message),
  );
  for (const allow of directives.allow) {
    const rule = lintRule(allow.rule);
    if (rule?.allowable) continue;
    const why = rule ? `rule ${allow.rule} cannot be switched off` : `there is no lint rule "${allow.rule}"`;
    found.push(finding(LintRuleId.ALLOW_UNKNOWN_RULE, input.file, allowLine(input.sql, allow.rule), 1, `stagegate:allow ${allow.rule}: ${why}`));
  }
  const units = parsedStatements(input, parse, found);
  const state: MigrationState = { newTables: new Set(), notValid: new Map() };
  const noTransaction = input.reverseOf?.noTransaction ?? directives.noTransaction;
  const rules = input.reverseOf ? TRANSACTION_RULES : LINT_RULES;
  units.forEach((unit, index) => {
    found.push(...checkStatement(unit.node, unit, input.file, { index, count: units.length, noTransaction }, state, schema, rules));
    if (!input.reverseOf) remember(unit.node, state, schema);
  });
  const reasons = new Map(directives.allow.map((a) => [a.rule, a.reason]));
  const allowed = found.flatMap((f) => (lintRule(f.rule)?.allowable && reasons.has(f.rule) ? [{ ...f, reason: reasons.get(f.rule) as string }] : []));
  return { findings: found.filter((f) => !allowed.some((a) => a.rule === f.rule)), allowed };
}

/**
 * Every statement of the file with its line and column. The whole file is
 * parsed at once (one call into the parser is most of the cost); when it has
 * a syntax error, each statement is parsed on its own, so that every broken
 * statement is reported (pushed to `found`) and the others are still linted.
 */
function parsedStatements(input: LintInput, parse: ParseSql, found: LintFinding[]): { node: Node; line: number; column: number }[] {
  // As the engine runs it: without a BOM and with LF line ends (the same lines, so the same positions).
  const text = normaliseSql(input.sql);
  const whole = parse(text);
  if (whole.ok) return whole.stmts.map((s) => ({ node: s.node, ...locate(text, s.offset) }));
  const statements = splitStatements(text);
  return statements.flatMap((statement, index) => {
    const parsed = parse(statement.sql);
    if (parsed.ok) return parsed.stmts.map((s) => ({ node: s.node, ...locate(text, statement.offset + s.offset) }));
    const at = locate(text, statement.offset + parsed.position);
    found.push(finding(LintRuleId.SYNTAX_ERROR, input.file, at.line, at.column, `${parsed.message}${psqlOnly(statement, statements[index - 1])}`));
    return [];
  });
}

/** Why a statement the parser refused is psql's, not SQL: a meta-command, or the rows after `COPY … FROM STDIN`. */
function psqlOnly(statement: SqlStatement, before: SqlStatement | undefined): string {
  const meta = psqlMetaCommandIn([statement]);
  if (meta) return `: "${meta.command}" is a psql meta-command, which stagegate does not run; remove it`;
  const copy = before ? copyFromStdinIn([before]) : null;
  if (copy) return `: these are the rows of the COPY … FROM STDIN on line ${copy.line}, which only psql sends; write them as INSERT … VALUES`;
  return '';
}

function checkStatement(
  stmt: Node,
  at: { line: number; column: number },
  file: string,
  place: { index: number; count: number; noTransaction: boolean },
  state: MigrationState,
  schema: SchemaModel,
  rules: readonly LintRule[],
): LintFinding[] {
  const ctx: StatementContext = {
    stmt,
    ...place,
    isNewTable: (table) => state.newTables.has(table),
    columnType: (table, column) => schema.columnType(table, column),
    notValid: state.notValid,
  };
  return rules.flatMap((rule) => rule.check(ctx).map((message) => finding(rule.id, file, at.line, at.column, message)));
}

/** Records what a statement created, for the statements after it. */
function remember(stmt: Node, state: MigrationState, schema: SchemaModel): void {
  const created = nodeOf<CreateStmt>(stmt, 'CreateStmt')?.relation ?? nodeOf<CreateTableAsStmt>(stmt, 'CreateTableAsStmt')?.into?.rel;
  if (created) state.newTables.add(tableKey(created));
  for (const cmd of alterCommands(nodeOf<AlterTableStmt>(stmt, 'AlterTableStmt')?.cmds)) {
    const constraint = cmd.subtype === 'AT_AddConstraint' ? nodeOf<Constraint>(cmd.def, 'Constraint') : undefined;
    if (constraint?.skip_validation && constraint.conname) {
      state.notValid.set(constraint.conname, constraint.contype === 'CONSTR_FOREIGN' ? LintRuleId.FK_NOT_VALID : LintRuleId.CHECK_NOT_VALID);
    }
  }
  schema.apply(stmt);
}

function finding(rule: LintRuleId, file: string, line: number, column: number, message: string): LintFinding {
  return { rule, file, line, column, message, suggestion: lintRule(rule)?.saferForm ?? '' };
}

/** The line of the allow directive naming `rule`, for its finding. */
function allowLine(sql: string, rule: string): number {
  const index = sql.split(/\r\n?|\n/).findIndex((l) => ALLOW.exec(l.trim())?.[1] === rule);
  return Math.max(1, index + 1);
}

const ALLOW = /^--\s*stagegate:allow\s+(\S+)/;
