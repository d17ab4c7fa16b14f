/**
 * Scripts the engine refuses before a run sends anything: they cannot do
 * what their file says when run statement by statement on a ledger session.
 */
import { MigrationFailedError, statementExcerpt } from './errors-database';
import { reverseFile, type Migration } from './migration';
import type { SqlStatement } from './sql-split';
import { unrunnableIn } from './transaction-control';

/**
 * The error of a script that cannot run, or null when it can: a psql
 * meta-command is not SQL, `COPY … FROM STDIN` waits for rows the client
 * never sends, `DEALLOCATE ALL` drops the ledger's prepared queries, and a
 * ROLLBACK in a transactional migration would discard its work yet have it
 * recorded. `statements` are the migration's, or its reverse script's when
 * `reverting` (the error then names the `.down.sql`). The error has
 * `refused: true`; each statement's head is read once.
 *
 * @example
 * const refused = unrunnableError(migration, splitStatements(normaliseSql(migration.sql)));
 * if (refused) throw refused; // MigrationFailedError naming the file and line
 */
export function unrunnableError(migration: Migration, statements: readonly SqlStatement[], reverting = false): MigrationFailedError | null {
  const refuse = (reason: string, statement: SqlStatement): MigrationFailedError =>
    new MigrationFailedError(
      {
        migration: migration.id,
        file: reverting ? reverseFile(migration.file) : migration.file,
        line: statement.line,
        column: statement.column,
        statement: statementExcerpt(statement.sql),
        sqlstate: null,
        pgMessage: reason,
        ...(reverting ? { reverting: true as const } : {}),
        refused: true,
      },
      migration.directives.noTransaction,
    );
  const { copy, meta, dropsPrepared: dropped, rollback: anyRollback } = unrunnableIn(statements);
  if (copy) {
    return refuse('COPY … FROM STDIN takes its rows from the client, and stagegate sends none (the lines after it are not its data): write the rows as INSERT … VALUES, or COPY from a file the server can read', copy);
  }
  if (meta) {
    return refuse(`"${meta.command}" is a psql meta-command, not SQL: stagegate sends the file's SQL to the server without psql, so remove it (the connection, its database and its settings are stagegate's)`, meta.statement);
  }
  if (dropped) {
    return refuse("it drops every prepared statement of the session, including those stagegate's session keeps for the ledger: DEALLOCATE only the statements the migration PREPAREd, by name", dropped);
  }
  const rollback = migration.directives.noTransaction ? null : anyRollback;
  if (rollback) {
    return refuse('ROLLBACK would discard what the migration ran before it, and what follows would run on its own and be recorded as applied: remove it (a failing statement already rolls the whole migration back)', rollback);
  }
  return null;
}
