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
      database: parsed.database || '?',
    });
  } catch {
    return 'an unparsable connection string';
  }
}
