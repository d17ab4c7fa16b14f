import type { AlterTableCmd, AlterTableStmt, Node } from 'libpg-query';
import { alterCommands, nodeOf, tableKey } from './ast';
import type { ColumnType } from './ast';

/** Every lint rule id. Stable, like error codes: allow directives and pipelines name them. */
export const LintRuleId = {
  DROP_COLUMN: 'drop-column',
  RENAME_COLUMN: 'rename-column',
  DROP_TABLE: 'drop-table',
  RENAME_TABLE: 'rename-table',
  NARROW_TYPE: 'narrow-type',
  ADD_NOT_NULL: 'add-not-null',
  INDEX_NOT_CONCURRENT: 'index-not-concurrent',
  FK_NOT_VALID: 'fk-not-valid',
  CHECK_NOT_VALID: 'check-not-valid',
  TYPE_CHANGE_REWRITE: 'type-change-rewrite',
  VACUUM_FULL: 'vacuum-full',
  CLUSTER: 'cluster',
  NEEDS_NO_TRANSACTION: 'needs-no-transaction',
  NO_TRANSACTION_MULTI_STATEMENT: 'no-transaction-multi-statement',
  SYNTAX_ERROR: 'syntax-error',
  ALLOW_UNKNOWN_RULE: 'allow-unknown-rule',
  ALLOW_NEEDS_REASON: 'allow-needs-reason',
  BAD_DIRECTIVE: 'bad-directive',
} as const;
export type LintRuleId = (typeof LintRuleId)[keyof typeof LintRuleId];

/** What a rule sees of one statement and the migration around it. */
export interface StatementContext {
  /** The parsed statement. */
  stmt: Node;
  /** 0-based position among the migration's statements, and how many there are. */
  index: number;
  count: number;
  noTransaction: boolean;
  /** True for a table created earlier in this migration: it has no rows and no readers yet. */
  isNewTable(table: string): boolean;
  /** A column's type as earlier statements and migrations left it, if they say. */
  columnType(table: string, column: string): ColumnType | undefined;
  /** Constraints added `NOT VALID` earlier in this migration, by name, with the rule of their kind. */
  notValid: ReadonlyMap<string, LintRuleId>;
}

/** One lint rule: a pure function over a statement, with what it flags and the safer form. */
export interface LintRule {
  id: LintRuleId;
  /** What it flags, for the README and `--json`. */
  flags: string;
  /** The suggested safer form, printed under each finding. */
  saferForm: string;
  /** Whether `-- stagegate:allow <id> <reason>` may switch it off. */
  allowable: boolean;
  /** Messages for what this statement does wrong, empty when it is fine. */
  check(ctx: StatementContext): string[];
}

/**
 * The commands of an `ALTER TABLE` on a table that existed before this
 * migration (on a table created in the same migration nothing can go wrong).
 *
 * @example
 * const alter = alterOfExistingTable(ctx); // { table: 'organization', cmds: [...] } | null
 */
export function alterOfExistingTable(ctx: StatementContext): { table: string; cmds: AlterTableCmd[] } | null {
  const alter = nodeOf<AlterTableStmt>(ctx.stmt, 'AlterTableStmt');
  if (!alter || alter.objtype !== 'OBJECT_TABLE') return null;
  const table = tableKey(alter.relation);
  if (ctx.isNewTable(table)) return null;
  return { table, cmds: alterCommands(alter.cmds) };
}
