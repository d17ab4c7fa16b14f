import { GetSecretValueCommand, type GetSecretValueCommandOutput } from '@aws-sdk/client-secrets-manager';
import { CredentialsUnavailableError } from '../../core/errors';
import type { SecretDatabase } from './environment-database';

/** The one call this module makes; a `SecretsManagerClient` has it, and a unit test can fake it. */
export interface SecretReader {
  send(command: GetSecretValueCommand): Promise<GetSecretValueCommandOutput>;
}

/** Where to connect and as whom. `password` is a secret: never log it, never put it in an error. */
export interface DatabaseCredentials {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

const DEFAULT_PORT = 5432;

/**
 * Reads the database credentials from a Secrets Manager secret in the RDS
 * format (`{"username", "password", "host", "port", "dbname", "engine"}`;
 * RDS-managed secrets hold only username and password, so `DB_HOST` and
 * `DB_NAME` supply the rest). `DB_HOST`, `DB_PORT` and `DB_NAME` override the
 * secret's values. Call it on every invocation: a rotated secret is then
 * picked up without a cold start.
 *
 * Failures are `CredentialsUnavailableError` naming the secret's ARN and the
 * missing fields, never a value.
 *
 * @example
 * const credentials = await readSecretCredentials(new SecretsManagerClient({ region }), settings);
 */
export async function readSecretCredentials(client: SecretReader, settings: SecretDatabase): Promise<DatabaseCredentials> {
  const origin = { kind: 'secret', secretArn: settings.secretArn } as const;
  let output: GetSecretValueCommandOutput;
  try {
    output = await client.send(new GetSecretValueCommand({ SecretId: settings.secretArn }));
  } catch (error) {
    const e = error as { name?: string; message?: string };
    throw new CredentialsUnavailableError(origin, `${e.name ?? 'Error'}: ${e.message ?? String(error)}`, error);
  }
  if (typeof output.SecretString !== 'string') {
    throw new CredentialsUnavailableError(origin, 'the secret has no string value (a binary secret cannot hold RDS credentials)');
  }
  return credentialsFrom(output.SecretString, settings, origin);
}

function credentialsFrom(text: string, settings: SecretDatabase, origin: { kind: 'secret'; secretArn: string }): DatabaseCredentials {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's message can quote the text, which is the secret: say only what is wrong.
    throw new CredentialsUnavailableError(origin, 'the secret value is not JSON');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new CredentialsUnavailableError(origin, 'the secret value is not a JSON object');
  const secret = json as Record<string, unknown>;
  const problems: string[] = [];
  const read = (field: string): string | undefined => {
    const value = secret[field];
    if (value === undefined) return undefined;
    if (typeof value === 'string' && value !== '') return value;
    problems.push(`"${field}" is not a non-empty string`);
    return undefined;
  };
  const user = read('username');
  const password = read('password');
  const host = settings.overrides.host ?? read('host');
  const database = settings.overrides.database ?? read('dbname');
  const port = settings.overrides.port ?? portOf(secret.port, problems);
  const engine = read('engine');
  if (user === undefined) problems.push('"username" is missing');
  if (password === undefined) problems.push('"password" is missing');
  if (host === undefined) problems.push('"host" is missing and DB_HOST is not set');
  if (database === undefined) problems.push('"dbname" is missing and DB_NAME is not set');
  if (engine !== undefined && !engine.includes('postgres')) problems.push(`"engine" is ${engine.slice(0, 40)}, not PostgreSQL`);
  if (problems.length > 0 || user === undefined || password === undefined || host === undefined || database === undefined) {
    throw new CredentialsUnavailableError(origin, `the secret does not hold usable RDS credentials: ${problems.join('; ')}`);
  }
  return { host, port, database, user, password };
}

function portOf(value: unknown, problems: string[]): number {
  if (value === undefined) return DEFAULT_PORT;
  const port = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (Number.isInteger(port) && port >= 1 && port <= 65535) return port;
  problems.push('"port" is not a port number');
  return DEFAULT_PORT;
}
