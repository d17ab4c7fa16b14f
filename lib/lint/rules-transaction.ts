/**
 * Rules about the transaction a migration runs in: some statements refuse to
 * run inside one, and a migration without one cannot be half undone.
 */
import type { AlterTableStmt, ClusterStmt, DefElem, DropStmt, IndexStmt, Node, PartitionCmd, ReindexStmt, VacuumStmt } from 'libpg-query';
import { alterCommands, kindOf, nodeOf } from './ast';
import { LintRuleId, type LintRule } from './rule';

/** Statements PostgreSQL refuses inside a transaction block, always. */
const NEVER_IN_TRANSACTION: Record<string, string> = {
  CreatedbStmt: 'CREATE DATABASE',
  DropdbStmt: 'DROP DATABASE',
  CreateTableSpaceStmt: 'CREATE TABLESPACE',
  DropTableSpaceStmt: 'DROP TABLESPACE',
  AlterSystemStmt: 'ALTER SYSTEM',
};

/**
 * What in `stmt` cannot run in a transaction block, or null.
 *
 * @example
 * outsideTransactionOnly(parse('CREATE INDEX CONCURRENTLY i ON t (a)')); // 'CREATE INDEX CONCURRENTLY'
 */
function outsideTransactionOnly(stmt: Node): string | null {
  const kind = kindOf(stmt);
  if (kind in NEVER_IN_TRANSACTION) return NEVER_IN_TRANSACTION[kind] as string;
  if (nodeOf<IndexStmt>(stmt, 'IndexStmt')?.concurrent) return 'CREATE INDEX CONCURRENTLY';
  if (nodeOf<DropStmt>(stmt, 'DropStmt')?.concurrent) return 'DROP INDEX CONCURRENTLY';
  const reindex = nodeOf<ReindexStmt>(stmt, 'ReindexStmt');
  if ((reindex?.params ?? []).some((p) => nodeOf<DefElem>(p, 'DefElem')?.defname === 'concurrently')) return 'REINDEX CONCURRENTLY';
  if (nodeOf<VacuumStmt>(stmt, 'VacuumStmt')?.is_vacuumcmd) return 'VACUUM';
  const cluster = nodeOf<ClusterStmt>(stmt, 'ClusterStmt');
  if (cluster && !cluster.relation) return 'CLUSTER without a table';
  const alter = nodeOf<AlterTableStmt>(stmt, 'AlterTableStmt');
  const detach = alterCommands(alter?.cmds).some((cmd) => cmd.subtype === 'AT_DetachPartition' && nodeOf<PartitionCmd>(cmd.def, 'PartitionCmd')?.concurrent);
  return detach ? 'DETACH PARTITION CONCURRENTLY' : null;
}

const needsNoTransaction: LintRule = {
  id: LintRuleId.NEEDS_NO_TRANSACTION,
  flags: 'a statement that cannot run in a transaction (CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, VACUUM, CREATE DATABASE, ...) in a migration without no-transaction',
  saferForm: 'Put the statement alone in its own migration whose first line is -- stagegate:no-transaction.',
  allowable: true,
  check(ctx) {
    const what = ctx.noTransaction ? null : outsideTransactionOnly(ctx.stmt);
    return what ? [`${what} cannot run inside a transaction block, and this migration runs in one`] : [];
  },
};

const noTransactionMultiStatement: LintRule = {
  id: LintRuleId.NO_TRANSACTION_MULTI_STATEMENT,
  flags: 'a no-transaction migration with more than one statement',
  saferForm: 'One statement per no-transaction migration: split the others into their own migrations.',
  allowable: true,
  check(ctx) {
    // Reported once, at the second statement: the first one is where a partial run stops being atomic.
    if (!ctx.noTransaction || ctx.index !== 1) return [];
    return [`this no-transaction migration has ${ctx.count} statements: if a later one fails, the earlier ones stay applied and the migration is left dirty`];
  },
};

/** The rules about transactions. */
export const TRANSACTION_RULES: readonly LintRule[] = [needsNoTransaction, noTransactionMultiStatement];
