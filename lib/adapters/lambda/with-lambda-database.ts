import { ErrorCode, MigrationRunnerError } from '../../core/errors';
import type { Logger, MigrationDatabase } from '../../ports';
import { PgMigrationDatabase, type PgConnection } from '../postgres';
import { credentialsConnection, iamConnection, urlConnection, type DatabaseConnection, type TokenSigner } from './connections';
import type { IamDatabase, SecretDatabase } from './environment-database';
import type { LambdaConfig } from './environment';
import { readSecretCredentials, type SecretReader } from './secret-credentials';

/** The clients credentials come from; `AwsCredentialClients` (or `AwsClients`, which adds S3) is the real one (module scope, reused while warm). */
export interface CredentialClients {
  /** A Secrets Manager client for the secret's region. */
  secrets(region: string): SecretReader;
  /** An RDS IAM token signer for these settings. */
  signer(settings: IamDatabase): TokenSigner;
}

export interface LambdaDatabaseDependencies {
  clients: CredentialClients;
  logger: Logger;
}

/**
 * Builds the database from the function's configuration and runs `fn` with
 * it, its target (`user@host:port/database`, no password) and the
 * connection itself (for a scratch database on the same server). Failures say
 * which target they were about.
 *
 * With a Secrets Manager secret, the secret is read for this invocation, and
 * when the server refuses it (`DATABASE_AUTH_FAILED`, e.g. the secret was
 * rotated meanwhile) it is read again and `fn` runs once more. That is safe:
 * the engine uses one connection per run and authentication fails when it
 * opens, before anything was read or changed.
 *
 * @example
 * const result = await withLambdaDatabase(config, deps, (db) => runMigrations({ source, db, logger, clock }, request, config.settings));
 */
export async function withLambdaDatabase<T>(
  config: LambdaConfig,
  deps: LambdaDatabaseDependencies,
  fn: (db: MigrationDatabase, target: string, connection: PgConnection) => Promise<T>,
): Promise<T> {
  const settings = config.database;
  if (settings.kind === 'iam') return attempt(config.schema, deps.logger, iamConnection(settings, deps.clients.signer(settings)), fn);
  if (settings.kind === 'url') return attempt(config.schema, deps.logger, urlConnection(settings), fn);
  const first = await secretConnection(settings, deps);
  try {
    return await attempt(config.schema, deps.logger, first, fn);
  } catch (error) {
    if (!(error instanceof MigrationRunnerError) || error.code !== ErrorCode.DATABASE_AUTH_FAILED) throw error;
    deps.logger.warn('credentials.rejected', { target: first.target, secretArn: settings.secretArn, next: 'reading the secret again, then one more attempt' });
  }
  return attempt(config.schema, deps.logger, await secretConnection(settings, deps), fn);
}

async function secretConnection(settings: SecretDatabase, deps: LambdaDatabaseDependencies): Promise<DatabaseConnection> {
  const credentials = await readSecretCredentials(deps.clients.secrets(settings.region), settings);
  return credentialsConnection(credentials, settings.tls);
}

async function attempt<T>(
  schema: string,
  logger: Logger,
  access: DatabaseConnection,
  fn: (db: MigrationDatabase, target: string, connection: PgConnection) => Promise<T>,
): Promise<T> {
  logger.info('database.selected', { target: access.target });
  try {
    return await fn(new PgMigrationDatabase({ connection: access.connection, schema }), access.target, access.connection);
  } catch (error) {
    if (error instanceof MigrationRunnerError) error.details.target ??= access.target;
    throw error;
  }
}
