import { DEFAULT_LEDGER_SCHEMA, PgMigrationDatabase } from '../adapters/postgres';
import { withScratchDatabase } from '../adapters/postgres/scratch-database';
import { encodeBundle } from '../core/bundle-format';
import { CheckKind, MigrationFailedError } from '../core/errors';
import type { Logger } from '../ports';
import { runMigrations, type RunSettings } from '../run';
import type { ApplyToEmpty } from './check-migrations';

const clock = { now: () => Date.now() };

/**
 * The `applyToEmpty` step of `stagegate check` on a real server: a scratch
 * database is created next to `connection` (which it never changes), the
 * whole history is applied to it with the engine a deploy uses, and the
 * scratch database is dropped on every path. A migration that fails is a
 * problem of the report; anything else (server unreachable, no CREATEDB)
 * is an error.
 *
 * @example
 * const report = await checkMigrations(files, parse, applyToScratch(url, logger, settings));
 */
export function applyToScratch(connection: string, logger: Logger, settings: RunSettings): ApplyToEmpty {
  return (migrations) =>
    withScratchDatabase(connection, 'stagegate check', async (url) => {
      const database = decodeURIComponent(new URL(url).pathname.slice(1));
      logger.info('command.started', { target: `scratch database ${database}` });
      const bundle = { id: encodeBundle(migrations).id, origin: 'migrations folder', migrations, allVerified: true };
      const db = new PgMigrationDatabase({ connection: url, schema: DEFAULT_LEDGER_SCHEMA });
      try {
        const result = await runMigrations({ source: { load: async () => bundle }, db, logger, clock }, { action: 'migrate', actor: 'stagegate check' }, settings);
        return { database, applied: result.applied.length };
      } catch (error) {
        if (!(error instanceof MigrationFailedError)) throw error;
        const { failure } = error;
        return {
          kind: CheckKind.DATABASE,
          code: error.code,
          file: failure.file,
          line: failure.line,
          column: failure.column ?? undefined,
          message: `does not apply to an empty database: ${failure.pgMessage}${failure.sqlstate ? ` [SQLSTATE ${failure.sqlstate}]` : ''}`,
          suggestion: 'Every stage starts from an empty database: the history must build the schema from nothing. Fix the migration (or the order it depends on).',
        };
      }
    });
}
