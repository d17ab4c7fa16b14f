/**
 * Hostile bundles beyond the ones in bundle-format.test.ts: ids that try to
 * escape or inject, self-dependencies, NUL bytes, corrupt and oversized
 * files. Every one is refused with BUNDLE_INVALID (or BUNDLE_INTEGRITY),
 * with a short message that names the bundle.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { buildCatalog } from '../../lib/core/catalog';
import { decodeBundle, encodeBundle, MAX_BUNDLE_BYTES } from '../../lib/core/bundle-format';
import { encodeBundleV1 } from '../support/bundle-v1';
import { MigrationRunnerError } from '../../lib/core/errors';

// Edited as JSON, so a version 1 bundle: published ones must still be refused as before.
const { bytes } = encodeBundleV1(
  buildCatalog([
    { path: 'org/0001_initial.sql', content: 'CREATE TABLE org (id int);' },
    { path: 'org/0002_next.sql', content: 'CREATE TABLE next (id int);' },
  ]),
);

type Entry = Record<string, unknown>;

function failure(fn: () => unknown): MigrationRunnerError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MigrationRunnerError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

/** Re-encodes the bundle after editing its first (or `index`th) migration entry. */
function withEntry(edit: (entry: Entry) => void, index = 0): Buffer {
  const doc = JSON.parse(gunzipSync(bytes).toString('utf8')) as { migrations: Entry[] };
  edit(doc.migrations[index] as Entry);
  return gzipSync(JSON.stringify(doc));
}

/** Gives the first entry another id (and the matching file name). */
const renamed = (id: string): Buffer =>
  withEntry((entry) => {
    entry.id = id;
    entry.file = `${id}.sql`;
  });

/** The bundle with its first entry's directives replaced by `depth` nested arrays (too deep for JSON.stringify). */
function nestedInside(depth: number): Buffer {
  const text = gunzipSync(withEntry((e) => (e.directives = 'NESTED'))).toString('utf8');
  return gzipSync(text.replace('"NESTED"', '['.repeat(depth) + ']'.repeat(depth)));
}

describe('Function: decodeBundle on hostile input', () => {
  it.each([
    ['an id with ..', () => renamed('org/../0001_initial'), /must sit directly in an app folder/],
    ['an id with another /', () => renamed('org/sub/0001_initial'), /must sit directly in an app folder/],
    ['an absolute id', () => renamed('/org/0001_initial'), /must sit directly in an app folder/],
    ['an id with NUL', () => renamed('org/0001_ini\u0000tial'), /is not valid/],
    ['an id with SQL quotes', () => renamed("org/0001_x'); DROP TABLE org; --"), /is not valid/],
    ['an id with a double quote', () => renamed('org/0001_x"y'), /is not valid/],
    ['an id longer than the limit', () => renamed(`org/0001_${'x'.repeat(300)}`), /unexpected structure at migrations\.0\.id/],
    ['a file that is not <id>.sql', () => withEntry((e) => (e.file = '../../etc/passwd.sql')), /expected <id>\.sql/],
    ['a dependency on itself', () => withEntry((e) => (e.sql = '-- stagegate:depends-on org/0002_next\nSELECT 1;'), 1), /depends on itself/],
    ['a NUL byte in the SQL', () => withEntry((e) => (e.sql = 'SELECT 1;\u0000 DROP TABLE org;')), /NUL byte/],
    ['a number where a string belongs', () => withEntry((e) => (e.sql = 42)), /unexpected structure at migrations\.0\.sql/],
    ['JSON nested deep inside an entry', () => nestedInside(100_000), /unexpected structure/],
    ['a corrupt byte in the middle of the gzip', () => Buffer.from(bytes).fill(0x55, bytes.length >> 1, (bytes.length >> 1) + 1), /not valid gzip/],
    ['an empty file', () => Buffer.alloc(0), /not valid gzip/],
    ['gzip of nothing', () => gzipSync(Buffer.alloc(0)), /valid JSON/],
  ])('refuses %s', (_name, make, reason) => {
    // Act
    const error = failure(() => decodeBundle(make(), 'hostile.json.gz'));
    // Assess
    expect(error.code).toBe('BUNDLE_INVALID');
    expect(error.message).toMatch(reason);
    expect(error.message).toContain('hostile.json.gz');
  });

  it('keeps the message short whatever the bundle quotes (a huge unknown key)', () => {
    // Prepare
    const doc = JSON.parse(gunzipSync(bytes).toString('utf8')) as Record<string, unknown>;
    doc[`x${'y'.repeat(1_000_000)}`] = 1;
    // Act
    const error = failure(() => decodeBundle(gzipSync(JSON.stringify(doc)), 'hostile.json.gz'));
    // Assess
    expect(error.code).toBe('BUNDLE_INVALID');
    expect(error.message.length).toBeLessThan(1_000);
  });

  it('refuses a file over the size limit with the limit in the message', () => {
    // Prepare
    const huge = Buffer.alloc(MAX_BUNDLE_BYTES + 1);
    // Act
    const error = failure(() => decodeBundle(huge, 'huge.json.gz'));
    // Assess
    expect(error.code).toBe('BUNDLE_INVALID');
    expect(error.message).toBe(`The bundle huge.json.gz is invalid: it is ${MAX_BUNDLE_BYTES + 1} bytes; the limit is ${MAX_BUNDLE_BYTES}`);
  });

  it('checks the hash first: an edited bundle requested by its old id is BUNDLE_INTEGRITY', () => {
    // Act
    const error = failure(() => decodeBundle(renamed("org/0001_x'"), 'b.json.gz', encodeBundle([]).id));
    // Assess
    expect(error.code).toBe('BUNDLE_INTEGRITY');
  });
});
