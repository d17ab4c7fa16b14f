/**
 * Checksums of migration SQL: `isPlainChecksumOf` must agree with
 * `checksumOf` on SQL that needs no normalising, and refuse anything else.
 */
import { checksumOf, isPlainChecksumOf } from '../../lib/core/checksum';

describe('Function: isPlainChecksumOf', () => {
  const sql = 'CREATE TABLE t (id int);\n';

  it('accepts the checksum of the SQL', () => {
    // Act
    const same = isPlainChecksumOf(checksumOf(sql), sql);
    // Assess
    expect(same).toBe(true);
  });

  it.each([
    ['the checksum of other SQL', checksumOf('CREATE TABLE u (id int);\n')],
    ['the hash without its version', checksumOf(sql).slice(3)],
    ['the hash under another version', `v2:${checksumOf(sql).slice(3)}`],
    ['the checksum with a character more', `${checksumOf(sql)}0`],
    ['the checksum in upper case', checksumOf(sql).toUpperCase()],
  ])('refuses %s', (_name, checksum) => {
    // Act
    const same = isPlainChecksumOf(checksum, sql);
    // Assess
    expect(same).toBe(false);
  });
});
