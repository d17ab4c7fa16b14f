/**
 * Scripts the engine refuses before sending any of them: they cannot do what
 * their file says when run statement by statement on a ledger session.
 */
import { MigrationFailedError } from '../../core/errors';
import type { SqlStatement } from '../../core/sql-split';
import { unrunnableIn } from '../../core/transaction-control';
import { migrationFailedError } from './errors';
import type { Script } from './script';

/**
 * Refuses a script that cannot run (see {@link unrunnableError}), before
 * anything of it (or of its ledger protocol) is sent.
 *
 * @example
 * refuseUnrunnable(script); // throws MigrationFailedError with `refused: true`
 */
export function refuseUnrunnable(script: Script): void {
  const refused = unrunnableError(script);
  if (refused) throw refused;
}

/**
 * The error of a script that cannot run, or null when it can: a psql
 * meta-command is not SQL, `COPY … FROM STDIN` waits for rows the client
 * never sends, `DEALLOCATE ALL` drops the ledger's prepared queries, and a ROLLBACK in a
 * transactional migration would discard its work yet have it recorded.
 *
 * @example
 * const refused = unrunnableError(request); // a rehearsal reports it as the migration's failure
 */
export function unrunnableError(script: Pick<Script, 'migration' | 'statements' | 'reverting'>): MigrationFailedError | null {
  const refuse = (reason: string, statement: SqlStatement): MigrationFailedError =>
    migrationFailedError(new Error(reason), script.migration, statement, script.reverting).with({ refused: true });
  const { copy, meta, dropsPrepared: dropped, rollback: anyRollback } = unrunnableIn(script.statements);
  if (copy) {
    return refuse('COPY … FROM STDIN takes its rows from the client, and stagegate sends none (the lines after it are not its data): write the rows as INSERT … VALUES, or COPY from a file the server can read', copy);
  }
  if (meta) {
    return refuse(`"${meta.command}" is a psql meta-command, not SQL: stagegate sends the file's SQL to the server without psql, so remove it (the connection, its database and its settings are stagegate's)`, meta.statement);
  }
  if (dropped) {
    return refuse("it drops every prepared statement of the session, including those stagegate's session keeps for the ledger: DEALLOCATE only the statements the migration PREPAREd, by name", dropped);
  }
  const rollback = script.migration.directives.noTransaction ? null : anyRollback;
  if (rollback) {
    return refuse('ROLLBACK would discard what the migration ran before it, and what follows would run on its own and be recorded as applied: remove it (a failing statement already rolls the whole migration back)', rollback);
  }
  return null;
}
