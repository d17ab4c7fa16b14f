/**
 * Version 1 bundles, as stagegate wrote them before version 2: tests of
 * loading published bundles build them here (`encodeBundle` writes version 2).
 */
import { gzipSync } from 'node:zlib';
import { sha256Hex } from '../../lib/core/checksum';
import type { Migration } from '../../lib/core/migration';

/** The bytes and id of a version 1 bundle of `migrations`, byte for byte as the version 1 encoder wrote them. */
export function encodeBundleV1(migrations: readonly Migration[]): { bytes: Buffer; id: string } {
  const document = {
    format: 'stagegate-bundle',
    formatVersion: 1,
    checksumVersion: 1,
    migrations: migrations.map((m) => ({ id: m.id, file: m.file, checksum: m.checksum, directives: m.directives, dependencies: m.dependencies, sql: m.sql, downSql: m.downSql })),
  };
  const bytes = gzipSync(Buffer.from(JSON.stringify(document), 'utf8'), { level: 9 });
  bytes[9] = 3;
  return { bytes, id: sha256Hex(bytes) };
}
