import { createHash, hash } from 'node:crypto';

/**
 * Checksums are versioned (`v1:<hex>`) so that a future change of algorithm
 * can never make old ledgers mismatch silently: a ledger row keeps the version
 * it was written with, and the planner recomputes with that version.
 *
 * v1: sha256 of the UTF-8 text after removing a leading BOM and turning every
 * CRLF or lone CR into LF, so a checkout on Windows gives the same checksum.
 */
export const CHECKSUM_VERSION = 1;
const PREFIX = 'v1:';

export function normaliseSql(sql: string): string {
  // Most files have neither: skip building a copy of each.
  if (sql.charCodeAt(0) !== 0xfeff && !sql.includes('\r')) return sql;
  return sql.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

/** One-shot sha256 as hex; `crypto.hash` (Node 20.12+) skips the Hash object, which matters for 10,000 small files. */
const sha256OfText: (text: string) => string =
  typeof hash === 'function' ? (text) => hash('sha256', text, 'hex') : (text) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The current checksum of a migration's SQL. */
export function checksumOf(sql: string): string {
  return PREFIX + sha256OfText(normaliseSql(sql));
}

/**
 * True when `checksum` is {@link checksumOf} of SQL known to have no BOM
 * and no CR (which need no normalising), so the SQL is hashed as it is. A
 * plain comparison with the prefixed hash: in a cold process, where 10,000
 * migrations are checked before anything is compiled, it costs less than
 * `endsWith`, which compares character by character.
 *
 * @example
 * isPlainChecksumOf(migration.checksum, migration.sql); // true unless the SQL was edited
 */
export function isPlainChecksumOf(checksum: string, sql: string): boolean {
  return checksum === PREFIX + sha256OfText(sql);
}

/** The checksum version a stored checksum was written with, or null when it is not one this version knows. */
export function checksumVersion(checksum: string): number | null {
  return /^v1:[0-9a-f]{64}$/.test(checksum) ? 1 : null;
}

/** sha256 of raw bytes, as lowercase hex: the bundle id. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
