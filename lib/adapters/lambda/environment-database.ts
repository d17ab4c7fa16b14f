import type { EnvReader } from './env-reader';

/**
 * TLS to the database. `verify`: encrypted, with the server's certificate
 * and host name verified. `disable`: plain TCP, for a local server.
 * `url`: whatever the `sslmode` of `DATABASE_URL` says (as `pg` reads it).
 */
export const TlsMode = {
  VERIFY: 'verify',
  DISABLE: 'disable',
  URL: 'url',
} as const;
export type TlsMode = (typeof TlsMode)[keyof typeof TlsMode];

/** RDS IAM authentication: a token is signed for every connection; TLS is always verified. */
export interface IamDatabase {
  kind: 'iam';
  host: string;
  port: number;
  database: string;
  user: string;
  region: string;
}

/** A Secrets Manager secret in the RDS format, read on every invocation so rotation is picked up. */
export interface SecretDatabase {
  kind: 'secret';
  secretArn: string;
  /** The secret's region, from its ARN. */
  region: string;
  /** `DB_HOST`, `DB_PORT`, `DB_NAME`: replace the secret's values (e.g. to go through an RDS Proxy). */
  overrides: { host?: string; port?: number; database?: string };
  tls: typeof TlsMode.VERIFY | typeof TlsMode.DISABLE;
}

/** A plain connection URL, for local use. A secret: never log it. */
export interface UrlDatabase {
  kind: 'url';
  url: string;
  tls: TlsMode;
}

export type DatabaseSettings = IamDatabase | SecretDatabase | UrlDatabase;

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/;

/** Placeholder returned when configuration is invalid; the caller throws before anyone uses it. */
const INVALID: UrlDatabase = { kind: 'url', url: '', tls: TlsMode.URL };

/**
 * Picks the database and its credentials, in order of preference:
 * 1. `STAGEGATE_DB_IAM=true` with `DB_HOST`, `DB_PORT` (default 5432), `DB_NAME`, `DB_USER`, `AWS_REGION`;
 * 2. `STAGEGATE_DB_SECRET_ARN` (with optional `DB_HOST`, `DB_PORT`, `DB_NAME` overrides);
 * 3. `DATABASE_URL`.
 *
 * TLS: `STAGEGATE_DB_TLS` is `verify` or `disable`. For IAM and secrets it
 * defaults to `verify` (IAM refuses `disable`: RDS accepts IAM tokens only
 * over TLS). For `DATABASE_URL` the URL's `sslmode` decides by default;
 * `verify` adds verification and `disable` turns TLS off, and each refuses a
 * URL whose `sslmode` says otherwise instead of guessing which one was meant.
 *
 * @example
 * const reader = new EnvReader({ STAGEGATE_DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf' });
 * parseDatabaseSettings(reader); // { kind: 'secret', region: 'eu-west-1', tls: 'verify', … }
 */
export function parseDatabaseSettings(reader: EnvReader): DatabaseSettings {
  const tls = reader.parse('STAGEGATE_DB_TLS', parseTls);
  const iam = reader.parse('STAGEGATE_DB_IAM', parseBoolean) ?? false;
  if (iam) return iamSettings(reader, tls);
  if (reader.has('STAGEGATE_DB_SECRET_ARN')) return secretSettings(reader, tls);
  if (reader.has('DATABASE_URL')) return urlSettings(reader, tls);
  reader.report(
    'STAGEGATE_DB_IAM, STAGEGATE_DB_SECRET_ARN, DATABASE_URL',
    'no database is configured: set STAGEGATE_DB_IAM=true (with DB_HOST, DB_NAME, DB_USER), STAGEGATE_DB_SECRET_ARN, or DATABASE_URL',
  );
  return INVALID;
}

function iamSettings(reader: EnvReader, tls: TlsMode | undefined): DatabaseSettings {
  if (tls === TlsMode.DISABLE) reader.report('STAGEGATE_DB_TLS', 'cannot be disable with STAGEGATE_DB_IAM=true: RDS accepts IAM tokens only over TLS');
  const why = 'with STAGEGATE_DB_IAM=true';
  const settings = {
    host: reader.require('DB_HOST', parseHost, why),
    port: reader.parse('DB_PORT', parsePort) ?? 5432,
    database: reader.require('DB_NAME', parseName, why),
    user: reader.require('DB_USER', parseName, why),
    region: reader.require('AWS_REGION', (value) => value, why),
  };
  const { host, database, user, region } = settings;
  if (host === undefined || database === undefined || user === undefined || region === undefined) return INVALID;
  return { kind: 'iam', host, port: settings.port, database, user, region };
}

function secretSettings(reader: EnvReader, tls: TlsMode | undefined): DatabaseSettings {
  const arn = reader.parse('STAGEGATE_DB_SECRET_ARN', parseSecretArn);
  const overrides = {
    host: reader.parse('DB_HOST', parseHost),
    port: reader.parse('DB_PORT', parsePort),
    database: reader.parse('DB_NAME', parseName),
  };
  if (arn === undefined) return INVALID;
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as SecretDatabase['overrides'];
  return { kind: 'secret', secretArn: arn.arn, region: arn.region, overrides: defined, tls: tls === TlsMode.DISABLE ? TlsMode.DISABLE : TlsMode.VERIFY };
}

function urlSettings(reader: EnvReader, tls: TlsMode | undefined): DatabaseSettings {
  const url = reader.parse('DATABASE_URL', parseDatabaseUrl);
  if (url === undefined) return INVALID;
  const sslmode = url.sslmode;
  if (tls === TlsMode.VERIFY && sslmode !== null && sslmode !== 'verify-full') {
    reader.report('STAGEGATE_DB_TLS', `is verify, but DATABASE_URL says sslmode=${sslmode}; use sslmode=verify-full or leave one of them out`);
  }
  if (tls === TlsMode.DISABLE && sslmode !== null && sslmode !== 'disable') {
    reader.report('STAGEGATE_DB_TLS', `is disable, but DATABASE_URL says sslmode=${sslmode}; leave one of them out`);
  }
  return { kind: 'url', url: url.value, tls: tls ?? TlsMode.URL };
}

function parseTls(value: string): TlsMode {
  if (value === TlsMode.VERIFY || value === TlsMode.DISABLE) return value;
  throw new Error('must be verify or disable');
}

function parseBoolean(value: string): boolean {
  if (value === 'true' || value === 'false') return value === 'true';
  throw new Error('must be true or false');
}

function parseHost(value: string): string {
  if (value.length > 253 || !/^[A-Za-z0-9._:-]+$/.test(value)) throw new Error('must be a host name or IP address');
  return value;
}

function parsePort(value: string): number {
  const port = Number(value.trim());
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('must be a port number from 1 to 65535');
  return port;
}

function parseName(value: string): string {
  if (Buffer.byteLength(value, 'utf8') > 63) throw new Error('must be at most 63 bytes');
  return value;
}

function parseSecretArn(value: string): { arn: string; region: string } {
  const match = SECRET_ARN.exec(value);
  if (!match) throw new Error('must be a Secrets Manager secret ARN such as arn:aws:secretsmanager:eu-west-1:123456789012:secret:name-AbCdEf');
  return { arn: value, region: match[1] as string };
}

function parseDatabaseUrl(value: string): { value: string; sslmode: string | null } {
  // The value is a secret: messages describe it, never repeat it.
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('is not a valid URL (expected postgres://user:password@host:5432/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new Error('must start with postgres:// or postgresql://');
  return { value, sslmode: url.searchParams.get('sslmode') };
}
