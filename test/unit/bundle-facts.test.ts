/**
 * What decoding a version 2 bundle records for `verifyClaims`: which
 * migrations' SQL may hold a marker (a directive, CR, NUL or BOM), and
 * whether the bundle stated no dependencies.
 */
import { factsOf, recordFacts } from '../../lib/core/bundle-facts';
import { verifyClaims } from '../../lib/core/bundle-claims';
import { decodeBundle, encodeBundle } from '../../lib/core/bundle-format';
import { buildCatalog } from '../../lib/core/catalog';
import { sha256Hex } from '../../lib/core/checksum';
import type { Migration } from '../../lib/core/migration';
import { plan } from '../../lib/core/plan';
import { editV2, type HeaderV2 } from '../support/bundle-edit';
import { thrown as failure } from '../support/failure';

/** Stand-ins for decoded migrations: the facts only need the array and its length. */
const stand = (n: number): Migration[] => Array.from({ length: n }, (_, i) => ({ id: `a/000${i}_m` }) as Migration);

describe('Function: recordFacts', () => {
  it('marks the migrations whose SQL or reverse SQL holds a marker, and no other', () => {
    // Prepare
    const texts = ['SELECT 1;', '-- stagegate:no-transaction\nSELECT 2;', 'SELECT 3;', 'SELECT 4;\r\n', 'SELECT 5;', '\uFEFFSELECT 6;', 'SELECT\u00007;', 'SELECT 8;'];
    const migrations = stand(5);
    // Act: migrations 2 and 3 have reverse scripts, with a CR, and with a BOM and a NUL.
    recordFacts(migrations, texts.join(''), [9, 37, 9, 9, 9], [null, null, 11, 10 + 9, null], { dependenciesDerived: false, noDirectives: false });
    // Assess
    expect([...(factsOf(migrations)?.marked ?? [])]).toEqual([0, 1, 1, 1, 0]);
    expect(factsOf(migrations)?.dependenciesDerived).toBe(false);
  });

  it('marks both migrations when a marker spans the end of one and the start of the next', () => {
    // Prepare
    const migrations = stand(3);
    const text = 'SELECT 1; -- stage' + 'gate:no-transaction\n' + 'SELECT 3;';
    // Act
    recordFacts(migrations, text, [18, 20, 9], [null, null, null], { dependenciesDerived: true, noDirectives: true });
    // Assess
    expect([...(factsOf(migrations)?.marked ?? [])]).toEqual([1, 1, 0]);
    expect(factsOf(migrations)?.dependenciesDerived).toBe(true);
  });

  it('records nothing for a text with more markers than is worth it (a bundle of CRLF files), nor for another array', () => {
    // Prepare
    const migrations = stand(1);
    const text = 'SELECT 1;\r\n'.repeat(5000);
    // Act
    recordFacts(migrations, text, [text.length], [null], { dependenciesDerived: true, noDirectives: true });
    // Assess
    expect(factsOf(migrations)).toBeUndefined();
    expect(factsOf([...stand(1)])).toBeUndefined();
  });
});

describe('Function: verifyClaims on a decoded version 2 bundle', () => {
  const files = [
    { path: 'org/0001_initial.sql', content: 'CREATE TABLE org (id int);' },
    { path: 'org/0002_next.sql', content: '-- stagegate:no-transaction\nCREATE INDEX CONCURRENTLY i ON org (id);' },
    { path: 'org/0003_more.sql', content: 'ALTER TABLE org ADD note text;\r\n' },
    { path: 'org/0004_last.sql', content: 'ALTER TABLE org ADD other text;' },
  ];
  const { bytes } = encodeBundle(buildCatalog(files));
  const pinned = (edited: Buffer) => decodeBundle(edited, 'pinned.json.gz', sha256Hex(edited));

  it('accepts the bundle as built, whose facts were recorded, every claim checked', () => {
    // Prepare
    const bundle = pinned(bytes);
    // Act
    const migrations = bundle.migrations;
    // Assess
    expect([...(factsOf(migrations)?.marked ?? [])]).toEqual([0, 1, 1, 0]);
    expect(factsOf(migrations)?.noDirectives).toBe(false);
    expect(() => verifyClaims(migrations, migrations, bundle.origin)).not.toThrow();
  });

  it('records that a bundle states no directive, and still refuses a depends-on its header dropped', () => {
    // Prepare: the SQL says depends-on, the header was emptied of directives and states the implicit dependencies.
    const plain = encodeBundle(buildCatalog([files[0] as (typeof files)[0], { path: 'org/0002_b.sql', content: '-- stagegate:depends-on org/0001_initial\nSELECT 2;' }])).bytes;
    const bundle = pinned(
      editV2(plain, (h) => {
        h.directives = {};
      }),
    );
    // Act
    const error = failure(() => verifyClaims(bundle.migrations, bundle.migrations, bundle.origin));
    // Assess
    expect(factsOf(bundle.migrations)?.noDirectives).toBe(true);
    expect(error.message).toMatch(/the directives of org\/0002_b do not match its SQL/);
  });

  it.each([
    ['directives dropped from a marked migration', (h: HeaderV2) => delete h.directives['org/0002_next'], /the directives of org\/0002_next do not match its SQL/],
    ['dependencies stated that are not the implicit ones', (h: HeaderV2) => (h.dependencies['org/0004_last'] = ['org/0001_initial']), /the dependencies of org\/0004_last do not match/],
  ])('still refuses %s before it runs', (_name, edit, reason) => {
    // Prepare
    const bundle = pinned(
      editV2(bytes, (h) => {
        edit(h);
      }),
    );
    // Act
    const error = failure(() => verifyClaims(bundle.migrations, bundle.migrations, bundle.origin));
    // Assess
    expect(error.code).toBe('BUNDLE_INVALID');
    expect(error.message).toMatch(reason);
  });

  it('still refuses edited SQL in a migration the decoder found no marker in', () => {
    // Prepare
    const edited = editV2(bytes, (_h, sql) => Buffer.from(sql.toString('utf8').replace('other', 'OTHER')));
    const bundle = pinned(edited);
    // Act
    const error = failure(() => verifyClaims(bundle.migrations, bundle.migrations.slice(3), bundle.origin));
    // Assess
    expect(error.message).toMatch(/the checksum of org\/0004_last does not match its SQL/);
  });
});

describe('Function: plan on a decoded version 2 bundle', () => {
  const ids = (steps: ReturnType<typeof plan>): string[] => steps.map((step) => step.migration.id);
  const applied = (id: string) => ({ id, checksum: 'x', state: 'applied' as const, appliedAt: '2026-01-01T00:00:00.000Z', durationMs: 1, bundleId: 'b', appliedBy: 't', method: 'executed' as const });

  it('plans a bundle that states no dependency in bundle order, as its copy (no facts) is planned', () => {
    // Prepare: two apps, a repeated number, nothing stated
    const files = ['a/0001_x', 'a/0002_y', 'a/0002_z', 'a/0003_w', 'b/0001_x', 'b/0005_y'].map((id) => ({ path: `${id}.sql`, content: `SELECT '${id}';` }));
    const { bytes } = encodeBundle(buildCatalog(files));
    const migrations = decodeBundle(bytes, 'p.json.gz', sha256Hex(bytes)).migrations;
    // Act
    const fresh = plan(migrations, []);
    const rest = plan(migrations, [applied('a/0001_x'), applied('a/0002_y'), applied('b/0001_x')].map((row) => ({ ...row, checksum: (migrations.find((m) => m.id === row.id) as Migration).checksum })));
    // Assess
    expect(factsOf(migrations)?.dependenciesDerived).toBe(true);
    expect(ids(fresh)).toEqual(ids(plan([...migrations], [])));
    expect(ids(fresh)).toEqual(migrations.map((m) => m.id));
    expect(ids(rest)).toEqual(['a/0002_z', 'a/0003_w', 'b/0005_y']);
  });

  it('still orders by a stated depends-on that points forward', () => {
    // Prepare: a/0001 depends on b/0001, which comes after it in the bundle
    const files = [
      { path: 'a/0001_x.sql', content: '-- stagegate:depends-on b/0001_y\nSELECT 1;' },
      { path: 'b/0001_y.sql', content: 'SELECT 2;' },
    ];
    const { bytes } = encodeBundle(buildCatalog(files));
    const migrations = decodeBundle(bytes, 'p.json.gz', sha256Hex(bytes)).migrations;
    // Act
    const steps = plan(migrations, []);
    // Assess
    expect(factsOf(migrations)?.dependenciesDerived).toBe(false);
    expect(ids(steps)).toEqual(['b/0001_y', 'a/0001_x']);
  });
});
