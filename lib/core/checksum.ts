import { createHash } from 'node:crypto';

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
  return sql.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

/** The current checksum of a migration's SQL. */
export function checksumOf(sql: string): string {
  return PREFIX + createHash('sha256').update(normaliseSql(sql), 'utf8').digest('hex');
}

/** The checksum version a stored checksum was written with, or null when it is not one this version knows. */
export function checksumVersion(checksum: string): number | null {
  return /^v1:[0-9a-f]{64}$/.test(checksum) ? 1 : null;
}

/** sha256 of raw bytes, as lowercase hex: the bundle id. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
