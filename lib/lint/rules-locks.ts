/**
 * Rules for statements that hold a strong lock on a table for as long as it
 * takes to scan or rewrite it: on a big table every query of the serving API
 * queues behind them.
 */
import type { ClusterStmt, ColumnDef, Constraint, DefElem, IndexStmt, VacuumStmt } from 'libpg-query';
import { columnConstraints, nodeOf, tableKey } from './ast';
import { typeChanges } from './rules-compat';
import { alterOfExistingTable, LintRuleId, type LintRule, type StatementContext } from './rule';
import { TypeChange } from './type-change';

const UNIQUE_KINDS = new Set(['CONSTR_PRIMARY', 'CONSTR_UNIQUE', 'CONSTR_EXCLUSION']);

const indexNotConcurrent: LintRule = {
  id: LintRuleId.INDEX_NOT_CONCURRENT,
  flags: 'CREATE INDEX without CONCURRENTLY, or ADD PRIMARY KEY/UNIQUE that builds its index, on an existing table',
  saferForm: 'CREATE [UNIQUE] INDEX CONCURRENTLY alone in a migration with -- stagegate:no-transaction; then ADD CONSTRAINT ... UNIQUE/PRIMARY KEY USING INDEX.',
  allowable: true,
  check(ctx) {
    const index = nodeOf<IndexStmt>(ctx.stmt, 'IndexStmt');
    if (index) {
      const table = tableKey(index.relation);
      if (index.concurrent || ctx.isNewTable(table)) return [];
      return [`creates index ${index.idxname ?? '(unnamed)'} on ${table} without CONCURRENTLY, blocking writes to the table while it builds`];
    }
    const alter = alterOfExistingTable(ctx);
    const messages: string[] = [];
    for (const cmd of alter?.cmds ?? []) {
      const constraints = cmd.subtype === 'AT_AddConstraint' ? [nodeOf<Constraint>(cmd.def, 'Constraint')] : cmd.subtype === 'AT_AddColumn' ? columnConstraints(nodeOf<ColumnDef>(cmd.def, 'ColumnDef')) : [];
      for (const c of constraints) {
        if (c && UNIQUE_KINDS.has(c.contype ?? '') && !c.indexname) messages.push(`adds a ${c.contype === 'CONSTR_PRIMARY' ? 'primary key' : 'unique'} constraint on ${alter?.table}, building its index under an ACCESS EXCLUSIVE lock`);
      }
    }
    return messages;
  },
};

/** Constraints of `kind` added to an existing table without NOT VALID, and validations in the same transaction. */
function validationFindings(ctx: StatementContext, kind: 'CONSTR_FOREIGN' | 'CONSTR_CHECK', rule: LintRuleId, what: string): string[] {
  const alter = alterOfExistingTable(ctx);
  const messages: string[] = [];
  for (const cmd of alter?.cmds ?? []) {
    if (cmd.subtype === 'AT_AddConstraint') {
      const c = nodeOf<Constraint>(cmd.def, 'Constraint');
      if (c?.contype === kind && !c.skip_validation) messages.push(`adds ${what}${c.conname ? ` ${c.conname}` : ''} to ${alter?.table} without NOT VALID: every row is checked while the lock is held`);
    } else if (cmd.subtype === 'AT_AddColumn' && kind === 'CONSTR_FOREIGN') {
      const column = nodeOf<ColumnDef>(cmd.def, 'ColumnDef');
      if (columnConstraints(column).some((c) => c.contype === kind)) messages.push(`adds column ${alter?.table}.${column?.colname} with a foreign key, validated at once under a lock on both tables`);
    } else if (cmd.subtype === 'AT_ValidateConstraint' && !ctx.noTransaction && ctx.notValid.get(cmd.name ?? '') === rule) {
      messages.push(`validates ${cmd.name} in the same transaction that added it NOT VALID, so the lock is held for the whole validation`);
    }
  }
  return messages;
}

const fkNotValid: LintRule = {
  id: LintRuleId.FK_NOT_VALID,
  flags: 'ADD FOREIGN KEY (or ADD COLUMN ... REFERENCES) on an existing table without NOT VALID; VALIDATE in the same migration',
  saferForm: 'ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (...) REFERENCES ... NOT VALID; then ALTER TABLE t VALIDATE CONSTRAINT fk in a later migration.',
  allowable: true,
  check: (ctx) => validationFindings(ctx, 'CONSTR_FOREIGN', LintRuleId.FK_NOT_VALID, 'foreign key'),
};

const checkNotValid: LintRule = {
  id: LintRuleId.CHECK_NOT_VALID,
  flags: 'ADD CONSTRAINT ... CHECK on an existing table without NOT VALID; VALIDATE in the same migration',
  saferForm: 'ALTER TABLE t ADD CONSTRAINT c CHECK (...) NOT VALID; then ALTER TABLE t VALIDATE CONSTRAINT c in a later migration.',
  allowable: true,
  check: (ctx) => validationFindings(ctx, 'CONSTR_CHECK', LintRuleId.CHECK_NOT_VALID, 'check constraint'),
};

const typeChangeRewrite: LintRule = {
  id: LintRuleId.TYPE_CHANGE_REWRITE,
  flags: 'ALTER COLUMN ... TYPE that rewrites the table (not varchar(n) to a longer varchar or text, not numeric to a larger precision)',
  saferForm: 'Add a column of the new type, backfill it in batches, switch reads and writes in a release, then drop the old column later.',
  allowable: true,
  check(ctx) {
    return typeChanges(ctx).flatMap((t) => {
      if (t.change === TypeChange.REWRITE) return [`changes ${t.column} from ${t.from} to ${t.to}, rewriting the table and its indexes under an ACCESS EXCLUSIVE lock`];
      if (t.change === TypeChange.UNKNOWN) return [`changes the type of ${t.column} to ${t.to}; its current type is not known from earlier migrations, and most type changes rewrite the table under an ACCESS EXCLUSIVE lock`];
      return [];
    });
  },
};

/**
 * `VACUUM (FULL)` / `VACUUM FULL`: a boolean option without a value is on.
 *
 * @example
 * isVacuumFull(nodeOf(stmt, 'VacuumStmt')); // true for VACUUM (FULL, ANALYZE) t
 */
function isVacuumFull(vacuum: VacuumStmt | undefined): boolean {
  return (vacuum?.options ?? []).some((o) => {
    const option = nodeOf<DefElem>(o, 'DefElem');
    if (option?.defname !== 'full') return false;
    const value = nodeOf<{ boolval?: boolean }>(option.arg, 'Boolean');
    return option.arg === undefined || value?.boolval === true;
  });
}

const vacuumFull: LintRule = {
  id: LintRuleId.VACUUM_FULL,
  flags: 'VACUUM FULL',
  saferForm: 'Plain VACUUM, or pg_repack, run outside deploy-time migrations.',
  allowable: true,
  check(ctx) {
    const vacuum = nodeOf<VacuumStmt>(ctx.stmt, 'VacuumStmt');
    return isVacuumFull(vacuum) ? ['VACUUM FULL rewrites each table under an ACCESS EXCLUSIVE lock, blocking reads and writes'] : [];
  },
};

const cluster: LintRule = {
  id: LintRuleId.CLUSTER,
  flags: 'CLUSTER',
  saferForm: 'pg_repack, or CLUSTER in a maintenance window outside deploy-time migrations.',
  allowable: true,
  check(ctx) {
    const stmt = nodeOf<ClusterStmt>(ctx.stmt, 'ClusterStmt');
    if (!stmt) return [];
    const table = stmt.relation ? tableKey(stmt.relation) : 'every clustered table';
    return ctx.isNewTable(table) ? [] : [`CLUSTER rewrites ${table} under an ACCESS EXCLUSIVE lock, blocking reads and writes`];
  },
};

/** The rules for long locks on big tables. */
export const LOCK_RULES: readonly LintRule[] = [indexNotConcurrent, fkNotValid, checkNotValid, typeChangeRewrite, vacuumFull, cluster];
