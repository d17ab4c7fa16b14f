import { gunzipSync, gzipSync } from 'node:zlib';
import { buildCatalog } from '../../lib/core/catalog';
import { verifyClaims } from '../../lib/core/bundle-claims';
import { decodeBundle, encodeBundle } from '../../lib/core/bundle-format';
import { sha256Hex } from '../../lib/core/checksum';
import { MigrationRunnerError } from '../../lib/core/errors';
import { plainMigration } from '../../lib/core/migration';
import { encodeBundleV1 } from '../support/bundle-v1';

const files = [
  { path: 'org/0001_initial.sql', content: 'CREATE TABLE org (id int);' },
  { path: 'org/0001_initial.down.sql', content: 'DROP TABLE org;' },
  { path: 'member/0001_initial.sql', content: '-- stagegate:depends-on org/0001_initial\n-- stagegate:no-transaction\nCREATE INDEX CONCURRENTLY i ON org (id);' },
];

function failure(fn: () => unknown): MigrationRunnerError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MigrationRunnerError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

/** Re-encodes a bundle after editing its JSON, the way an attacker or a bug would. */
function tamper(bytes: Buffer, edit: (doc: { migrations: Record<string, unknown>[] } & Record<string, unknown>) => void): Buffer {
  const doc = JSON.parse(gunzipSync(bytes).toString('utf8'));
  edit(doc);
  return gzipSync(JSON.stringify(doc));
}

describe('Function: encodeBundle', () => {
  it('is deterministic: the same files give the same bytes and id, in any order', () => {
    // Act
    const first = encodeBundle(buildCatalog(files));
    const second = encodeBundle(buildCatalog([...files].reverse()));
    // Assess
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(second.id).toBe(first.id);
    expect(first.id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('round-trips every field through decodeBundle', () => {
    // Prepare
    const migrations = buildCatalog(files);
    const { bytes, id } = encodeBundle(migrations);
    // Act
    const loaded = decodeBundle(bytes, 'test.json.gz', id);
    // Assess
    expect(loaded.id).toBe(id);
    // Field by field: a decoded migration derives some of its fields in getters (decoded-migration.ts).
    expect(loaded.migrations.map(plainMigration)).toEqual(migrations);
  });
});

describe('Function: decodeBundle of a version 1 bundle', () => {
  const { bytes, id } = encodeBundleV1(buildCatalog(files));

  it('refuses bytes whose hash is not the one requested', () => {
    // Act
    const error = failure(() => decodeBundle(bytes, 'b.json.gz', 'f'.repeat(64)));
    // Assess
    expect(error.code).toBe('BUNDLE_INTEGRITY');
    expect(error.details).toMatchObject({ expected: 'f'.repeat(64), actual: id });
  });

  it.each([
    ['truncated gzip', () => bytes.subarray(0, bytes.length - 10), /not valid gzip/],
    ['not gzip at all', () => Buffer.from('hello'), /not valid gzip/],
    ['invalid JSON', () => gzipSync('{"format": '), /valid JSON/],
    ['not a bundle', () => gzipSync('{"hello": 1}'), /not a stagegate bundle/],
    ['unknown format version', () => tamper(bytes, (d) => (d.formatVersion = 99)), /format version 99 is not supported/],
    ['unknown field', () => tamper(bytes, (d) => (d.extra = true)), /unexpected structure/],
    ['duplicate ids', () => tamper(bytes, (d) => d.migrations.push({ ...(d.migrations[0] as object) })), /appears twice/],
    ['an id that is not an id', () => tamper(bytes, (d) => { (d.migrations[0] as Record<string, unknown>).id = '../../etc/passwd'; (d.migrations[0] as Record<string, unknown>).file = '../../etc/passwd.sql'; }), /invalid/],
    ['edited SQL', () => tamper(bytes, (d) => ((d.migrations[0] as Record<string, unknown>).sql = 'DROP TABLE org;')), /checksum of .* does not match/],
    ['edited dependencies', () => tamper(bytes, (d) => ((d.migrations[0] as Record<string, unknown>).dependencies = [])), /dependencies of .* do not match/],
    ['deeply nested JSON', () => gzipSync('['.repeat(100_000) + ']'.repeat(100_000)), /./],
  ])('refuses %s with BUNDLE_INVALID', (_name, make, reason) => {
    // Act
    const error = failure(() => decodeBundle(make(), 'bad.json.gz'));
    // Assess
    expect(error.code).toBe('BUNDLE_INVALID');
    expect(error.message).toMatch(reason);
    expect(error.message).toContain('bad.json.gz');
  });

  it('refuses a gzip bomb without inflating it all', () => {
    // Prepare: 300 MB of zeros compresses to about 300 KB
    const bomb = gzipSync(Buffer.alloc(300 * 1024 * 1024));
    // Act
    const error = failure(() => decodeBundle(bomb, 'bomb.json.gz'));
    // Assess
    expect(error.code).toBe('BUNDLE_INVALID');
    expect(error.message).toMatch(/expands beyond/);
  });
});

describe('Function: decodeBundle of a version 1 bundle pinned by its id (verify what you use)', () => {
  const pinned = (bytes: Buffer) => decodeBundle(bytes, 'pinned.json.gz', sha256Hex(bytes));
  const edited = (edit: (entry: Record<string, unknown>) => void): Buffer =>
    tamper(encodeBundleV1(buildCatalog(files)).bytes, (d) => edit(d.migrations[1] as Record<string, unknown>));

  it('loads what the bundle states, leaving the recomputation to the migrations that run', () => {
    // Prepare
    const { bytes } = encodeBundleV1(buildCatalog(files));
    // Act
    const loaded = pinned(bytes);
    // Assess
    expect(loaded.allVerified).toBe(false);
    expect(loaded.migrations).toEqual(buildCatalog(files));
    expect(() => verifyClaims(loaded.migrations, loaded.migrations, loaded.origin)).not.toThrow();
  });

  it.each([
    ['edited SQL', (e: Record<string, unknown>) => (e.sql = 'DROP TABLE org;'), /checksum of org\/0001_initial does not match/],
    ['edited dependencies', (e: Record<string, unknown>) => (e.dependencies = ['member/0001_initial']), /dependencies of org\/0001_initial do not match/],
    ['edited directives', (e: Record<string, unknown>) => ((e.directives as Record<string, unknown>).noTransaction = true), /directives of org\/0001_initial do not match/],
  ])('refuses %s once the edited migration is about to run', (_name, edit, reason) => {
    // Prepare
    const loaded = pinned(edited(edit));
    const used = loaded.migrations.filter((m) => m.id === 'org/0001_initial');
    // Act
    const error = failure(() => verifyClaims(loaded.migrations, used, loaded.origin));
    // Assess
    expect(error.code).toBe('BUNDLE_INVALID');
    expect(error.message).toMatch(reason);
  });

  it('checks implicit dependencies of every migration that runs, a merge of two migrations of one number included', () => {
    // Prepare
    const merged = [
      { path: 'a/0001_initial.sql', content: 'CREATE TABLE a (id int);' },
      { path: 'a/0002_left.sql', content: 'SELECT 1;' },
      { path: 'a/0002_right.sql', content: 'SELECT 2;' },
      { path: 'a/0003_merge.sql', content: 'SELECT 3;' },
      { path: 'b/0001_initial.sql', content: '-- stagegate:depends-on a/0003_merge\nSELECT 4;' },
    ];
    const { bytes } = encodeBundleV1(buildCatalog(merged));
    const dropOne = tamper(bytes, (d) => ((d.migrations.find((m) => m.id === 'a/0003_merge') as Record<string, unknown>).dependencies = ['a/0002_left']));
    const skipBack = tamper(bytes, (d) => ((d.migrations.find((m) => m.id === 'a/0002_right') as Record<string, unknown>).dependencies = []));
    const loaded = pinned(bytes);
    // Act
    const errors = [dropOne, skipBack].map((edited) => {
      const bundle = pinned(edited);
      return failure(() => verifyClaims(bundle.migrations, bundle.migrations, bundle.origin));
    });
    // Assess
    expect(() => verifyClaims(loaded.migrations, loaded.migrations, loaded.origin)).not.toThrow();
    expect(loaded.migrations.find((m) => m.id === 'a/0003_merge')?.dependencies).toEqual(['a/0002_left', 'a/0002_right']);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/dependencies of a\/0003_merge do not match/), expect.stringMatching(/dependencies of a\/0002_right do not match/)]);
  });

  it('does not read a migration that will not run: an applied one may differ without stopping the run', () => {
    // Prepare: the file hash is the guarantee; what never runs is not recomputed
    const loaded = pinned(edited((e) => (e.sql = 'DROP TABLE org;')));
    const used = loaded.migrations.filter((m) => m.id === 'member/0001_initial');
    // Act and Assess
    expect(() => verifyClaims(loaded.migrations, used, loaded.origin)).not.toThrow();
  });

  it('checks every squash whatever runs, since its replaces decide what the plan skips', () => {
    // Prepare
    const squashed = [...files, { path: 'org/0002_squash.sql', content: '-- stagegate:replaces org/0001_initial\nCREATE TABLE org (id int);' }];
    const { bytes } = encodeBundleV1(buildCatalog(squashed));
    const doc = tamper(bytes, (d) => ((d.migrations.find((m) => m.id === 'org/0002_squash') as Record<string, unknown>).sql = 'SELECT 1;'));
    const loaded = pinned(doc);
    const used = loaded.migrations.filter((m) => m.id === 'member/0001_initial');
    // Act
    const error = failure(() => verifyClaims(loaded.migrations, used, loaded.origin));
    // Assess
    expect(error.message).toMatch(/org\/0002_squash does not match/);
  });

  it('decodes its content on first use, checking shape, ids and order of every entry then', () => {
    // Prepare
    const { bytes } = encodeBundleV1(buildCatalog(files));
    const broken = pinned(tamper(bytes, (d) => d.migrations.reverse()));
    // Act
    const unordered = failure(() => broken.migrations);
    const badId = failure(() => pinned(tamper(bytes, (d) => Object.assign(d.migrations[0] as object, { id: 'x', file: 'x.sql' }))).migrations);
    const shape = failure(() => pinned(tamper(bytes, (d) => ((d.migrations[0] as Record<string, unknown>).checksum = 7))).migrations);
    const corrupt = failure(() => pinned(gzipSync('{"format": "stagegate-bundle", "formatVersion": 1, "migrations": [')).migrations);
    // Assess
    expect(unordered.message).toMatch(/not in id order/);
    expect(badId.message).toMatch(/is not a migration id/);
    expect(shape.message).toMatch(/unexpected structure at migrations\.0\.checksum/);
    expect(corrupt.code).toBe('BUNDLE_INVALID');
    expect(broken.id).toMatch(/^[0-9a-f]{64}$/);
  });
});
