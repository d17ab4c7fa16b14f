import type pg from 'pg';
import { CredentialsUnavailableError } from '../../core/errors';
import { describeConnection, formatTarget, type PgConnection } from '../postgres';
import { TlsMode, type IamDatabase, type UrlDatabase } from './environment-database';
import type { DatabaseCredentials } from './secret-credentials';

/** What `@aws-sdk/rds-signer`'s `Signer` offers; injected so tests sign with static credentials. */
export interface TokenSigner {
  getAuthToken(): Promise<string>;
}

/** A way to connect, and where it goes, described without a password. */
export interface DatabaseConnection {
  connection: PgConnection;
  /** `user@host:port/database`, safe for results, logs and errors. */
  target: string;
}

/**
 * `pg`'s TLS settings for a mode. `verify` checks the certificate chain and
 * the host name. RDS certificates are issued by the RDS certificate
 * authorities, which Node does not trust by default; on Lambda's Node.js
 * runtime, `NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem` (a bundle that
 * includes them) must be set in the function's environment so they verify.
 *
 * @example
 * sslFor('verify'); // { rejectUnauthorized: true }
 */
export function sslFor(tls: typeof TlsMode.VERIFY | typeof TlsMode.DISABLE): pg.ClientConfig['ssl'] {
  return tls === TlsMode.VERIFY ? { rejectUnauthorized: true } : false;
}

/**
 * RDS IAM authentication: every new connection gets a freshly signed token
 * (valid 15 minutes), so a long run or a retry never presents an expired one.
 * A signing failure is `CredentialsUnavailableError`.
 *
 * @example
 * const { connection } = iamConnection(settings, new Signer({ hostname, port, username, region }));
 */
export function iamConnection(settings: IamDatabase, signer: TokenSigner): DatabaseConnection {
  const target = formatTarget({ user: settings.user, host: settings.host, port: String(settings.port), database: settings.database });
  const connection = async (): Promise<pg.ClientConfig> => {
    let token: string;
    try {
      token = await signer.getAuthToken();
    } catch (error) {
      const e = error as { name?: string; message?: string };
      throw new CredentialsUnavailableError({ kind: 'iam', target }, `${e.name ?? 'Error'}: ${e.message ?? String(error)}`, error);
    }
    const { host, port, database, user } = settings;
    // RDS accepts IAM tokens only over TLS.
    return { host, port, database, user, password: token, ssl: sslFor(TlsMode.VERIFY) };
  };
  return { connection, target };
}

/**
 * Credentials read from a secret: the same settings for every connection of
 * this invocation.
 *
 * @example
 * const { connection, target } = credentialsConnection(await readSecretCredentials(client, settings), settings.tls);
 */
export function credentialsConnection(credentials: DatabaseCredentials, tls: typeof TlsMode.VERIFY | typeof TlsMode.DISABLE): DatabaseConnection {
  const { host, port, database, user, password } = credentials;
  const target = formatTarget({ user, host, port: String(port), database });
  return { connection: async () => ({ host, port, database, user, password, ssl: sslFor(tls) }), target };
}

/**
 * A `DATABASE_URL`: as written when TLS is left to its `sslmode`, otherwise
 * with TLS verified or turned off (the environment parser already refused a
 * URL whose `sslmode` contradicts `STAGEGATE_DB_TLS`).
 *
 * @example
 * urlConnection({ kind: 'url', url: 'postgres://app:pw@localhost/app', tls: 'disable' }).target; // 'app@localhost:5432/app'
 */
export function urlConnection(settings: UrlDatabase): DatabaseConnection {
  const target = describeConnection(settings.url);
  if (settings.tls === TlsMode.URL) return { connection: settings.url, target };
  // pg lets the URL's own sslmode win over `ssl`; there is none that disagrees here.
  const ssl = sslFor(settings.tls);
  return { connection: async () => ({ connectionString: settings.url, ssl }), target };
}
