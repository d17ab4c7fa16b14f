import { ErrorCode, MigrationRunnerError } from './errors-base';

/**
 * A scratch database (a throw-away copy of the history, used to prove an
 * adoption, a squash or a check) could not be created. Nothing on the
 * target database was changed.
 */
export class ScratchDatabaseError extends MigrationRunnerError {
  constructor(purpose: string, server: string, sqlstate: string | null, pgMessage: string, cause?: unknown) {
    const denied = sqlstate === '42501';
    super(
      ErrorCode.SCRATCH_DATABASE_FAILED,
      denied
        ? `${purpose} needs a scratch database on ${server}, and the role may not create databases: ${pgMessage}`
        : `${purpose} needs a scratch database on ${server}, and creating it failed: ${pgMessage}${sqlstate ? ` [SQLSTATE ${sqlstate}]` : ''}`,
      {
        remedy: denied
          ? 'Grant the role CREATEDB (`ALTER ROLE <role> CREATEDB`), or run the command as a role that has it; stagegate creates the scratch database, uses it and drops it. Nothing was changed.'
          : 'Check that the server accepts a new database (disk space, max connections) and run again. Nothing was changed.',
        details: { purpose, server, sqlstate, pgMessage },
        cause,
      },
    );
    this.name = 'ScratchDatabaseError';
  }
}
