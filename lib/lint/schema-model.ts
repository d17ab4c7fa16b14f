import type { AlterTableStmt, ColumnDef, CreateStmt, DropStmt, Node, RenameStmt } from 'libpg-query';
import { alterCommands, columnType, nodeOf, tableKey, tableKeyOfNames, type ColumnType } from './ast';

/**
 * What the migrations before a statement say about tables and column types,
 * read from `CREATE TABLE`, `ADD`/`DROP COLUMN`, `ALTER COLUMN TYPE` and
 * renames. Lint uses it to tell a lossless type change (`varchar(20)` to
 * `text`) from a narrowing or rewriting one. It knows only what migrations
 * wrote; anything else is unknown, never guessed.
 *
 * @example
 * const model = new SchemaModel();
 * model.apply(stmt);
 * model.columnType('organization', 'name'); // { name: 'text', mods: [], array: false }
 */
export class SchemaModel {
  private readonly tables = new Map<string, Map<string, ColumnType>>();

  columnType(table: string, column: string): ColumnType | undefined {
    return this.tables.get(table)?.get(column);
  }

  /** Records the effect of one parsed statement. */
  apply(stmt: Node): void {
    const create = nodeOf<CreateStmt>(stmt, 'CreateStmt');
    if (create) return this.create(create);
    const alter = nodeOf<AlterTableStmt>(stmt, 'AlterTableStmt');
    if (alter) return this.alter(alter);
    const rename = nodeOf<RenameStmt>(stmt, 'RenameStmt');
    if (rename) return this.rename(rename);
    const drop = nodeOf<DropStmt>(stmt, 'DropStmt');
    if (drop?.removeType === 'OBJECT_TABLE') {
      for (const object of drop.objects ?? []) this.tables.delete(tableKeyOfNames(nodeOf<{ items?: Node[] }>(object, 'List')?.items ?? []));
    }
  }

  private create(create: CreateStmt): void {
    const columns = new Map<string, ColumnType>();
    for (const element of create.tableElts ?? []) {
      const column = nodeOf<ColumnDef>(element, 'ColumnDef');
      if (column?.colname) columns.set(column.colname, columnType(column.typeName));
    }
    this.tables.set(tableKey(create.relation), columns);
  }

  private alter(alter: AlterTableStmt): void {
    const table = this.tables.get(tableKey(alter.relation));
    if (!table) return;
    for (const cmd of alterCommands(alter.cmds)) {
      const column = nodeOf<ColumnDef>(cmd.def, 'ColumnDef');
      if (cmd.subtype === 'AT_AddColumn' && column?.colname) table.set(column.colname, columnType(column.typeName));
      else if (cmd.subtype === 'AT_AlterColumnType' && cmd.name && column) table.set(cmd.name, columnType(column.typeName));
      else if (cmd.subtype === 'AT_DropColumn' && cmd.name) table.delete(cmd.name);
    }
  }

  private rename(rename: RenameStmt): void {
    const key = tableKey(rename.relation);
    const table = this.tables.get(key);
    if (!table || !rename.newname) return;
    if (rename.renameType === 'OBJECT_TABLE') {
      this.tables.delete(key);
      // RENAME TO keeps the schema.
      this.tables.set(tableKey({ ...rename.relation, relname: rename.newname }), table);
    } else if (rename.renameType === 'OBJECT_COLUMN' && rename.subname) {
      const type = table.get(rename.subname);
      table.delete(rename.subname);
      if (type) table.set(rename.newname, type);
    }
  }
}
