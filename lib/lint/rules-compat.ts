/**
 * Rules for changes that break the API version still serving: during a
 * deploy the old code keeps running against the new schema until the new
 * version is promoted, so a migration may only add what old code ignores.
 */
import type { ColumnDef, DropStmt, Node, RenameStmt } from 'libpg-query';
import { columnConstraints, columnType, formatType, nodeOf, tableKey, tableKeyOfNames } from './ast';
import { alterOfExistingTable, LintRuleId, type LintRule, type StatementContext } from './rule';
import { classifyTypeChange, TypeChange } from './type-change';

const dropColumn: LintRule = {
  id: LintRuleId.DROP_COLUMN,
  flags: 'ALTER TABLE ... DROP COLUMN on an existing table',
  saferForm: 'Expand/contract: release code that no longer reads or writes the column, promote it, then drop the column in a later migration.',
  allowable: true,
  check(ctx) {
    const alter = alterOfExistingTable(ctx);
    return (alter?.cmds ?? [])
      .filter((cmd) => cmd.subtype === 'AT_DropColumn')
      .map((cmd) => `drops column ${alter?.table}.${cmd.name}, which the API version still serving may read or write`);
  },
};

function renameOf(ctx: StatementContext, type: string): RenameStmt | undefined {
  const rename = nodeOf<RenameStmt>(ctx.stmt, 'RenameStmt');
  if (!rename || rename.renameType !== type || ctx.isNewTable(tableKey(rename.relation))) return undefined;
  return rename;
}

const renameColumn: LintRule = {
  id: LintRuleId.RENAME_COLUMN,
  flags: 'ALTER TABLE ... RENAME COLUMN on an existing table',
  saferForm: 'Add the new column, write both and backfill, switch reads in a release, then drop the old column in a later migration.',
  allowable: true,
  check(ctx) {
    const rename = renameOf(ctx, 'OBJECT_COLUMN');
    return rename ? [`renames column ${tableKey(rename.relation)}.${rename.subname} to ${rename.newname}: the API version still serving uses the old name`] : [];
  },
};

function droppedTables(stmt: Node): string[] {
  const drop = nodeOf<DropStmt>(stmt, 'DropStmt');
  if (drop?.removeType !== 'OBJECT_TABLE') return [];
  return (drop.objects ?? []).map((o) => tableKeyOfNames(nodeOf<{ items?: Node[] }>(o, 'List')?.items ?? []));
}

const dropTable: LintRule = {
  id: LintRuleId.DROP_TABLE,
  flags: 'DROP TABLE of a table created by an earlier migration',
  saferForm: 'Release code that no longer uses the table, promote it, then drop the table in a later migration.',
  allowable: true,
  check(ctx) {
    return droppedTables(ctx.stmt)
      .filter((table) => !ctx.isNewTable(table))
      .map((table) => `drops table ${table}, which the API version still serving may use`);
  },
};

const renameTable: LintRule = {
  id: LintRuleId.RENAME_TABLE,
  flags: 'ALTER TABLE ... RENAME TO on an existing table',
  saferForm: 'Create the new table (or rename and keep a view with the old name: CREATE VIEW old AS SELECT * FROM new) until no serving code uses the old name.',
  allowable: true,
  check(ctx) {
    const rename = renameOf(ctx, 'OBJECT_TABLE');
    return rename ? [`renames table ${tableKey(rename.relation)} to ${rename.newname}: the API version still serving uses the old name`] : [];
  },
};

/**
 * Each `ALTER COLUMN ... TYPE` on an existing table, classified.
 *
 * @example
 * typeChanges(ctx); // [{ column: 'shop.qty', change: 'rewrite', from: 'int4', to: 'int8' }]
 */
export function typeChanges(ctx: StatementContext): { column: string; change: TypeChange; from: string; to: string }[] {
  const alter = alterOfExistingTable(ctx);
  if (!alter) return [];
  return alter.cmds
    .filter((cmd) => cmd.subtype === 'AT_AlterColumnType')
    .map((cmd) => {
      const def = nodeOf<ColumnDef>(cmd.def, 'ColumnDef');
      const to = columnType(def?.typeName);
      const from = ctx.columnType(alter.table, cmd.name ?? '');
      const column = `${alter.table}.${cmd.name}`;
      return { column, change: classifyTypeChange(from, to, def?.raw_default !== undefined), from: from ? formatType(from) : 'unknown', to: formatType(to) };
    });
}

const narrowType: LintRule = {
  id: LintRuleId.NARROW_TYPE,
  flags: 'ALTER COLUMN ... TYPE to a type that accepts fewer values (shorter varchar, smaller integer or numeric, text to varchar(n))',
  saferForm: 'Add a CHECK constraint NOT VALID and VALIDATE it once the serving code respects the limit; or add a new column, backfill, switch, and drop the old one later.',
  allowable: true,
  check(ctx) {
    return typeChanges(ctx)
      .filter((t) => t.change === TypeChange.NARROW)
      .map((t) => `narrows ${t.column} from ${t.from} to ${t.to}: the API version still serving may write values that no longer fit`);
  },
};

/** A column added NOT NULL with nothing to fill existing rows and old code's inserts. */
function addsNotNullWithoutDefault(column: ColumnDef | undefined): boolean {
  const constraints = columnConstraints(column).map((c) => c.contype);
  const filled = constraints.some((c) => c === 'CONSTR_DEFAULT' || c === 'CONSTR_IDENTITY' || c === 'CONSTR_GENERATED');
  const serial = /serial/.test(nodeOf<{ sval?: string }>(column?.typeName?.names?.at(-1), 'String')?.sval ?? '');
  return !filled && !serial && (constraints.includes('CONSTR_NOTNULL') || constraints.includes('CONSTR_PRIMARY'));
}

const addNotNull: LintRule = {
  id: LintRuleId.ADD_NOT_NULL,
  flags: 'ADD COLUMN ... NOT NULL without a DEFAULT, or ALTER COLUMN ... SET NOT NULL, on an existing table',
  saferForm: 'ADD COLUMN ... NOT NULL DEFAULT <value> (no rewrite on PostgreSQL 11+); for an existing column: ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT c, then SET NOT NULL in a later release once all serving code writes it.',
  allowable: true,
  check(ctx) {
    const alter = alterOfExistingTable(ctx);
    const messages: string[] = [];
    for (const cmd of alter?.cmds ?? []) {
      const column = nodeOf<ColumnDef>(cmd.def, 'ColumnDef');
      if (cmd.subtype === 'AT_AddColumn' && addsNotNullWithoutDefault(column)) {
        messages.push(`adds ${alter?.table}.${column?.colname} NOT NULL without a default: existing rows have no value and the API version still serving inserts rows without it`);
      } else if (cmd.subtype === 'AT_SetNotNull') {
        messages.push(`sets ${alter?.table}.${cmd.name} NOT NULL: the API version still serving may insert NULLs, and the check scans the table under an ACCESS EXCLUSIVE lock`);
      }
    }
    return messages;
  },
};

/** The rules for changes that break the serving API version. */
export const COMPATIBILITY_RULES: readonly LintRule[] = [dropColumn, renameColumn, dropTable, renameTable, narrowType, addNotNull];
