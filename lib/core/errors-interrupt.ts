import { ErrorCode, MigrationRunnerError } from './errors-base';

/**
 * The command was stopped by a signal (Ctrl-C, SIGTERM) before it ended. The
 * process exits at once, so the session closes: the server rolls back what
 * had not committed, a migration committed before stays applied, and a
 * `no-transaction` migration in progress is left dirty.
 *
 * @example
 * throw new InterruptedError('migrate', 'SIGINT');
 */
export class InterruptedError extends MigrationRunnerError {
  constructor(command: string | null, signal: string) {
    super(ErrorCode.INTERRUPTED, `stagegate${command ? ` ${command}` : ''} was interrupted by ${signal} before it ended.`, {
      remedy:
        'The server rolls back the migration that had not committed when the connection closed; the ones committed before stay applied (a no-transaction migration in progress stays dirty). ' +
        'Run `stagegate status` to see where it stopped (it shows this run as abandoned), then run again.',
      details: { signal },
    });
    this.name = 'InterruptedError';
  }
}
