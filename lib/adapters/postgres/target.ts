import { parse } from 'pg-connection-string';

/** Where a connection goes, without its password. */
export interface ConnectionTarget {
  user: string;
  host: string;
  port: string;
  database: string;
}

/** A target whose parts are not known (the settings could not be read). */
export const UNKNOWN_TARGET: ConnectionTarget = { user: '?', host: '?', port: '?', database: '?' };

/**
 * `user@host:port/database`: safe for messages and logs, never holds the password.
 *
 * @example
 * formatTarget({ user: 'app', host: 'db.internal', port: '5432', database: 'app' }); // → 'app@db.internal:5432/app'
 */
export function formatTarget(target: ConnectionTarget): string {
  return `${target.user}@${target.host}:${target.port}/${target.database}`;
}

/**
 * Describes a connection string as `user@host:port/database`, dropping the password
 * and every other parameter. Unknown parts are shown as `?`.
 *
 * @example
 * describeConnection('postgres://app:s3cret@db.internal:5432/app?sslmode=require');
 * // → 'app@db.internal:5432/app'
 */
export function describeConnection(connectionString: string): string {
  try {
    const parsed = parse(connectionString);
    return formatTarget({
      user: parsed.user || '?',
      host: parsed.host || '?',
      port: parsed.port || '5432',
      // Without one, PostgreSQL connects to the database named as the user.
      database: parsed.database || parsed.user || '?',
    });
  } catch {
    const target = urlTarget(connectionString);
    return target === null ? 'an unparsable connection string' : formatTarget(target);
  }
}

/**
 * Where a `postgres://` URL goes, read from the URL alone: for settings `pg`
 * cannot take in (a certificate file named by `sslrootcert` that is missing),
 * so the message still says which server it was. Null when it is no URL.
 *
 * @example
 * urlTarget('postgres://app:s3cret@db.internal/app?sslrootcert=/missing.pem'); // → { user: 'app', host: 'db.internal', port: '5432', database: 'app' }
 */
export function urlTarget(connectionString: string): ConnectionTarget | null {
  try {
    const url = new URL(connectionString);
    const part = (text: string): string => (text === '' ? '?' : decodeURIComponent(text));
    return { user: part(url.username), host: part(url.hostname), port: url.port || '5432', database: part(url.pathname.slice(1)) };
  } catch {
    return null;
  }
}
