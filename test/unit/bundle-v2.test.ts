/**
 * Bundle format version 2 (a header line of JSON, then the SQL texts):
 * round trip, determinism, version 1 still loading, and every part of the
 * file refused when edited.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { verifyClaims } from '../../lib/core/bundle-claims';
import { BUNDLE_FORMAT_VERSION, decodeBundle, encodeBundle } from '../../lib/core/bundle-format';
import { buildCatalog } from '../../lib/core/catalog';
import { sha256Hex } from '../../lib/core/checksum';
import { MigrationRunnerError } from '../../lib/core/errors';
import { plainMigration } from '../../lib/core/migration';
import { editV2, splitV2, type HeaderV2 } from '../support/bundle-edit';
import { encodeBundleV1 } from '../support/bundle-v1';
import { thrown as failure } from '../support/failure';

const files = [
  { path: 'org/0001_initial.sql', content: 'CREATE TABLE org (id int, name text DEFAULT \'café ☕ 𝄞\');' },
  { path: 'org/0001_initial.down.sql', content: 'DROP TABLE org;' },
  { path: 'org/0002_crlf.sql', content: '\uFEFFALTER TABLE org ADD note text;\r\nSELECT 1;\r\n' },
  { path: 'org/0002_crlf.down.sql', content: '' },
  { path: 'org/0003_next.sql', content: 'CREATE TABLE next (id int);' },
  { path: 'member/0001_initial.sql', content: '-- stagegate:depends-on org/0001_initial\n-- stagegate:no-transaction\nCREATE INDEX CONCURRENTLY i ON org (id);' },
];
const catalog = buildCatalog(files);
const { bytes, id } = encodeBundle(catalog);

const pinned = (edited: Buffer) => decodeBundle(edited, 'pinned.json.gz', sha256Hex(edited));
/** The error of loading `edited` unpinned (rebuilt in full), or of verifying every migration of it pinned. */
const refusals = (edited: Buffer): MigrationRunnerError[] => [
  failure(() => decodeBundle(edited, 'edited.json.gz')),
  failure(() => {
    const bundle = pinned(edited);
    verifyClaims(bundle.migrations, bundle.migrations, bundle.origin);
  }),
];

describe('Function: encodeBundle (format version 2)', () => {
  it('writes a header line with the metadata only, then the SQL texts; directives and dependencies only where not implicit', () => {
    // Act
    const { header, sql } = splitV2(bytes);
    // Assess
    expect(BUNDLE_FORMAT_VERSION).toBe(2);
    expect(header).toMatchObject({ format: 'stagegate-bundle', formatVersion: 2, checksumVersion: 1, ids: catalog.map((m) => m.id), checksums: catalog.map((m) => m.checksum) });
    expect(Object.keys(header.directives)).toEqual(['member/0001_initial']);
    // member/0001 depends on org/0001 explicitly; every org migration depends on the previous number, implicitly.
    expect(header.dependencies).toEqual({ 'member/0001_initial': ['org/0001_initial'] });
    expect(header.downLengths).toEqual([null, 'DROP TABLE org;'.length, 0, null]);
    expect(sql.toString('utf8')).toBe(catalog.map((m) => m.sql + (m.downSql ?? '')).join(''));
  });

  it('is deterministic: the same files give the same bytes and id, in any order', () => {
    // Act
    const again = encodeBundle(buildCatalog([...files].reverse()));
    // Assess
    expect(again.bytes.equals(bytes)).toBe(true);
    expect(again.id).toBe(id);
  });

  it('round-trips every field, pinned or rebuilt from its SQL, non-ASCII, BOM, CRLF and empty reverse scripts included', () => {
    // Act
    const byId = decodeBundle(bytes, 'b.json.gz', id);
    const rebuilt = decodeBundle(bytes, 'b.json.gz');
    // Assess
    expect(byId.id).toBe(id);
    expect(byId.allVerified).toBe(false);
    // Field by field: a decoded migration derives some of its fields in getters (decoded-migration.ts).
    expect(byId.migrations.map(plainMigration)).toEqual(catalog);
    expect(rebuilt.allVerified).toBe(true);
    expect(rebuilt.migrations).toEqual(catalog);
    expect(() => verifyClaims(byId.migrations, byId.migrations, byId.origin)).not.toThrow();
  });

  it('states merged numbers implicitly, orders numbers by value, and an empty bundle is a valid bundle', () => {
    // Prepare
    const merged = buildCatalog([
      { path: 'a/0001_x.sql', content: 'SELECT 1;' },
      { path: 'a/0002_left.sql', content: 'SELECT 2;' },
      { path: 'a/0002_right.sql', content: 'SELECT 3;' },
      { path: 'a/0003_merge.sql', content: 'SELECT 4;' },
    ]);
    const byValue = buildCatalog([
      { path: 'b/0009_x.sql', content: 'SELECT 5;' },
      { path: 'b/00010_y.sql', content: 'SELECT 6;' },
    ]);
    const encoded = encodeBundle(merged);
    // Act
    const loaded = decodeBundle(encoded.bytes, 'm.json.gz', encoded.id);
    const empty = decodeBundle(encodeBundle([]).bytes, 'empty.json.gz');
    // Assess
    expect(splitV2(encoded.bytes).header.dependencies).toEqual({});
    expect(loaded.migrations.map(plainMigration)).toEqual(merged);
    expect(loaded.migrations[3]?.dependencies).toEqual(['a/0002_left', 'a/0002_right']);
    expect(empty.migrations).toEqual([]);
    expect(decodeBundle(encodeBundle(byValue).bytes, 'n.json.gz').migrations.map((m) => m.id)).toEqual(['b/0009_x', 'b/00010_y']);
  });
});

describe('Function: decodeBundle of version 1 bundles already published', () => {
  it('loads them under their own id, with the same migrations as version 2', () => {
    // Prepare
    const v1 = encodeBundleV1(catalog);
    // Act
    const byId = decodeBundle(v1.bytes, 'v1.json.gz', v1.id);
    const rebuilt = decodeBundle(v1.bytes, 'v1.json.gz');
    // Assess
    expect(v1.id).not.toBe(id);
    expect(byId.id).toBe(v1.id);
    expect(byId.migrations).toEqual(catalog);
    expect(rebuilt.migrations).toEqual(catalog);
  });
});

describe('Function: decodeBundle refuses an edited version 2 bundle', () => {
  const header = (edit: (h: HeaderV2) => unknown): Buffer =>
    editV2(bytes, (h) => {
      edit(h);
    });
  const text = (edit: (sql: Buffer) => Buffer): Buffer => editV2(bytes, (_h, sql) => edit(sql));

  it.each([
    ['an unknown format version', () => header((h) => (h.formatVersion = 3)), /format version 3 is not supported/],
    ['an unknown checksum version', () => header((h) => (h.checksumVersion = 2)), /checksum version 2 is not supported/],
    ['an unknown key', () => header((h) => (h.extra = 1)), /unexpected structure at \(root\): unrecognized key "extra"/],
    ['a missing key', () => header((h) => delete (h as Partial<HeaderV2>).checksums), /unexpected structure at checksums: is required/],
    ['an id of the wrong type', () => header((h) => ((h.ids as unknown[])[1] = 7)), /unexpected structure at ids\.1: expected a string/],
    ['a negative length', () => header((h) => (h.sqlLengths[0] = -1)), /unexpected structure at sqlLengths\.0: is negative/],
    ['a fractional length', () => header((h) => (h.downLengths[0] = 1.5)), /unexpected structure at downLengths\.0: expected an integer/],
    ['columns of different lengths', () => header((h) => h.checksums.pop()), /lists 4 ids, 3 checksums, 4 SQL lengths and 4 reverse lengths/],
    ['an id that is not an id', () => header((h) => (h.ids[0] = '../../etc/passwd')), /"\.\.\/\.\.\/etc\/passwd" is not a migration id/],
    ['a repeated id', () => header((h) => (h.ids[2] = h.ids[1] as string)), /migration id org\/0001_initial appears twice/],
    ['ids out of order', () => header((h) => h.ids.reverse()), /not in id order/],
    ['ids in text order but not by number', () => header((h) => (h.ids[2] = 'org/00010_crlf')), /not in id order \(org\/0003_next after org\/00010_crlf\)/],
    ['directives of an unknown migration', () => header((h) => (h.directives['org/0009_x'] = { dependsOn: [], replaces: [], noTransaction: true, irreversible: false, allow: [] })), /its directives name "org\/0009_x", which is not a migration of the bundle/],
    ['directives of the wrong shape', () => header((h) => ((h.directives['member/0001_initial'] as Record<string, unknown>).noTransaction = 'yes')), /unexpected structure at directives\.member\/0001_initial\.noTransaction/],
    ['dependencies of an unknown migration', () => header((h) => (h.dependencies['x/0001_y'] = [])), /its dependencies name "x\/0001_y"/],
    ['lengths that do not cover the SQL', () => header((h) => (h.sqlLengths[0] = (h.sqlLengths[0] as number) - 1)), /its SQL section is \d+ characters long, but its header accounts for \d+/],
    ['lengths beyond the SQL', () => header((h) => (h.sqlLengths[3] = 10_000)), /header accounts for \d+ and more/],
    ['SQL cut short', () => text((sql) => sql.subarray(0, sql.length - 3)), /its SQL section is/],
    ['SQL that is not UTF-8', () => text((sql) => Buffer.concat([sql.subarray(0, 4), Buffer.from([0xff]), sql.subarray(5)])), /its SQL section is not valid UTF-8/],
    ['no header line', () => gzipSync(gunzipSync(bytes).toString('utf8').replace('\n', ' ')), /valid JSON|no SQL section/],
    ['a header line alone', () => gzipSync(gunzipSync(bytes).toString('utf8').split('\n')[0] as string), /no SQL section/],
    ['a version 1 document with more after it', () => gzipSync(`${gunzipSync(encodeBundleV1(catalog).bytes).toString('utf8')}\nSELECT 1;`), /a version 1 bundle is one JSON document/],
  ])('refuses %s when it is loaded, pinned by its hash or not', (_name, make, reason) => {
    // Prepare
    const edited = make();
    // Act
    const errors = [failure(() => decodeBundle(edited, 'edited.json.gz')), failure(() => pinned(edited).migrations)];
    // Assess
    for (const error of errors) {
      expect(error.code).toBe('BUNDLE_INVALID');
      expect(error.message).toMatch(reason);
    }
  });

  it.each([
    ['edited SQL of the same length', () => text((sql) => Buffer.from(sql.toString('utf8').replace('CREATE TABLE next', 'DROP   TABLE next'))), /the checksum of org\/0003_next does not match its SQL/],
    ['a checksum claimed for other SQL', () => header((h) => (h.checksums[1] = h.checksums[3] as string)), /the checksum of org\/0001_initial does not match its SQL/],
    ['dependencies stated that are not the implicit ones', () => header((h) => (h.dependencies['org/0003_next'] = ['org/0001_initial'])), /the dependencies of org\/0003_next do not match its directives/],
    ['explicit dependencies dropped', () => header((h) => delete h.dependencies['member/0001_initial']), /the dependencies of member\/0001_initial do not match its directives/],
  ])('refuses %s: rebuilt in full unpinned, before it runs when pinned', (_name, make, reason) => {
    // Act
    const [unpinned, beforeRun] = refusals(make());
    // Assess
    expect(unpinned?.code).toBe('BUNDLE_INVALID');
    expect(beforeRun?.code).toBe('BUNDLE_INVALID');
    expect(beforeRun?.message).toMatch(reason);
    expect(unpinned?.message).toMatch(/do(es)? not match/);
  });

  it.each([
    ['directives claimed that the SQL does not have', () => header((h) => (h.directives['org/0003_next'] = { dependsOn: [], replaces: [], noTransaction: true, irreversible: false, allow: [] })), /the directives of org\/0003_next do not match its SQL/],
    ['directives dropped that the SQL has', () => header((h) => delete h.directives['member/0001_initial']), /the directives of member\/0001_initial do not match its SQL/],
  ])('refuses %s before it runs when pinned; rebuilt unpinned, the SQL decides', (_name, make, reason) => {
    // Prepare
    const edited = make();
    const bundle = pinned(edited);
    // Act
    const error = failure(() => verifyClaims(bundle.migrations, bundle.migrations, bundle.origin));
    const rebuilt = decodeBundle(edited, 'edited.json.gz');
    // Assess
    expect(error.code).toBe('BUNDLE_INVALID');
    expect(error.message).toMatch(reason);
    expect(rebuilt.migrations.map((m) => m.directives)).toEqual(catalog.map((m) => m.directives));
  });

  it('runs a pinned bundle only under its own hash: any edit changes the id', () => {
    // Prepare
    const edited = text((sql) => Buffer.from(sql.toString('utf8').replace('next', 'nexx')));
    // Act
    const error = failure(() => decodeBundle(edited, 'b.json.gz', id));
    // Assess
    expect(error.code).toBe('BUNDLE_INTEGRITY');
    expect(error.details).toMatchObject({ expected: id, actual: sha256Hex(edited) });
  });
});
