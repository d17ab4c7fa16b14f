import { gunzipSync, gzipSync } from 'node:zlib';
import { buildCatalog } from '../../lib/core/catalog';
import { decodeBundle, encodeBundle } from '../../lib/core/bundle-format';
import { MigrationRunnerError } from '../../lib/core/errors';

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
    expect(loaded.migrations).toEqual(migrations);
  });
});

describe('Function: decodeBundle', () => {
  const { bytes, id } = encodeBundle(buildCatalog(files));

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
