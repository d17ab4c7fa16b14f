/**
 * A migration decoded from a version 2 bundle derives `number`, `name`,
 * `file` and (unless stated) `dependencies` when read: it must read as the
 * migration built from the files does, and copies must keep every field.
 */
import { decodeBundle, encodeBundle } from '../../lib/core/bundle-format';
import { buildCatalog } from '../../lib/core/catalog';
import { DecodedMigration } from '../../lib/core/decoded-migration';
import { plainMigration, reverseScriptOf, type Migration } from '../../lib/core/migration';

const files = [
  { path: 'org/0001_initial.sql', content: 'CREATE TABLE org (id int);' },
  { path: 'org/0001_initial.down.sql', content: 'DROP TABLE org;' },
  { path: 'org/0002_left.sql', content: 'ALTER TABLE org ADD a int;' },
  { path: 'org/0002_right.sql', content: 'ALTER TABLE org ADD b int;' },
  { path: 'org/0003_merge.sql', content: 'ALTER TABLE org ADD c int;' },
  { path: 'org/0009_nine.sql', content: 'SELECT 9;' },
  { path: 'org/00010_ten.sql', content: 'SELECT 10;' },
  { path: 'member/0001_initial.sql', content: '-- stagegate:depends-on org/0003_merge\nCREATE TABLE member (id int);' },
  { path: 'member/0002_more.sql', content: '-- stagegate:no-transaction\nCREATE INDEX CONCURRENTLY m ON member (id);' },
  { path: 'member/0002_more.down.sql', content: 'DROP INDEX m;' },
  { path: 'team/0001_only_one.sql', content: 'CREATE TABLE team (id int);' },
];
const built = buildCatalog(files);
const { bytes, id } = encodeBundle(built);
const decoded = (): Migration[] => decodeBundle(bytes, 'b.json.gz', id).migrations;

/** The derived fields, as a reader sees them. */
const derived = (m: Migration) => ({ id: m.id, file: m.file, name: m.name, number: m.number, dependencies: m.dependencies });

describe('Class: DecodedMigration', () => {
  it('reads file, name, number and dependencies as the migration built from the files', () => {
    // Act
    const migrations = decoded();
    // Assess
    expect(migrations.every((m) => m instanceof DecodedMigration)).toBe(true);
    expect(migrations.map(derived)).toEqual(built.map(derived));
    const byId = new Map(migrations.map((m) => [m.id, m]));
    expect(byId.get('org/0003_merge')?.dependencies).toEqual(['org/0002_left', 'org/0002_right']);
    expect(byId.get('org/00010_ten')?.number).toBe('00010');
    expect(byId.get('org/00010_ten')?.dependencies).toEqual(['org/0009_nine']);
    expect(byId.get('member/0001_initial')?.dependencies).toEqual(['org/0003_merge']);
    expect(byId.get('team/0001_only_one')).toMatchObject({ name: 'only_one', file: 'team/0001_only_one.sql', dependencies: [] });
  });

  it('keeps every field through plainMigration, a spread of it, JSON and structuredClone', () => {
    // Act
    const plain = decoded().map(plainMigration);
    // Assess
    expect(plain).toEqual(built);
    expect(plain.map((m) => ({ ...m }))).toEqual(built);
    expect(JSON.parse(JSON.stringify(plain))).toEqual(JSON.parse(JSON.stringify(built)));
    expect(structuredClone(plain)).toEqual(built);
    expect(JSON.parse(JSON.stringify(decoded()))).toEqual(JSON.parse(JSON.stringify(built)));
  });

  it('keeps every field in its reverse script, as the reverse of a built migration does', () => {
    // Act
    const reverses = decoded().map(reverseScriptOf);
    // Assess
    expect(reverses).toEqual(built.map(reverseScriptOf));
    expect(reverses.find((m) => m.id === 'member/0002_more')).toMatchObject({
      file: 'member/0002_more.down.sql',
      sql: 'DROP INDEX m;',
      name: 'more',
      number: '0002',
      dependencies: ['member/0001_initial'],
    });
  });

  it('gives each reader of derived dependencies its own array', () => {
    // Prepare
    const merge = decoded().find((m) => m.id === 'org/0003_merge') as Migration;
    // Act
    merge.dependencies.push('org/9999_not_there');
    // Assess
    expect(merge.dependencies).toEqual(['org/0002_left', 'org/0002_right']);
  });
});
