import { buildCatalog } from '../../lib/core/catalog';
import { appliedDependents } from '../../lib/core/merged-late';

const bundle = buildCatalog(
  Object.entries({
    'a/0004_x.sql': 'SELECT 1;',
    'a/0005_y.sql': 'SELECT 1;',
    'a/0006_z.sql': 'SELECT 1;',
    'b/0001_b.sql': '-- stagegate:depends-on a/0005_y\nSELECT 1;',
  }).map(([path, content]) => ({ path, content })),
);

describe('Function: appliedDependents', () => {
  it('names the applied migrations that depend on a pending one, by implicit and declared dependencies', () => {
    // Act
    const late = appliedDependents(bundle, new Set(['a/0004_x', 'a/0006_z', 'b/0001_b']), ['a/0005_y']);
    // Assess
    expect([...late]).toEqual([['a/0005_y', ['a/0006_z', 'b/0001_b']]]);
  });

  it('finds nothing when every dependent is pending too, or nothing is applied', () => {
    // Act / Assess
    expect(appliedDependents(bundle, new Set(['a/0004_x']), ['a/0005_y', 'a/0006_z', 'b/0001_b']).size).toBe(0);
    expect(appliedDependents(bundle, new Set(), ['a/0004_x']).size).toBe(0);
  });
});
