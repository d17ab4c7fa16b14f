/**
 * Edits inside a version 2 bundle, the way an attacker or a bug would: the
 * header line's JSON and the SQL text after it, gzip'd again.
 */
import { gunzipSync, gzipSync } from 'node:zlib';

/** The header of a version 2 bundle, as its JSON states it. */
export type HeaderV2 = Record<string, unknown> & {
  ids: string[];
  checksums: string[];
  sqlLengths: number[];
  downLengths: (number | null)[];
  directives: Record<string, Record<string, unknown>>;
  dependencies: Record<string, string[]>;
};

/** Splits a version 2 bundle into its parsed header and its SQL bytes. */
export function splitV2(bytes: Buffer): { header: HeaderV2; sql: Buffer } {
  const content = gunzipSync(bytes);
  const lineEnd = content.indexOf(10);
  return { header: JSON.parse(content.toString('utf8', 0, lineEnd)) as HeaderV2, sql: content.subarray(lineEnd + 1) };
}

/** Re-encodes the bundle after `edit` changed its header (in place) and possibly returned other SQL bytes. */
export function editV2(bytes: Buffer, edit: (header: HeaderV2, sql: Buffer) => Buffer | void): Buffer {
  const { header, sql } = splitV2(bytes);
  const text = edit(header, sql) ?? sql;
  return gzipSync(Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), text]));
}
