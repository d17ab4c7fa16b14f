import { addersOf, alsoApplied, creatorsOf, identifierName, mergedLate, pendingMakersOf, type BundleKnowledge } from '../../lib/core/bundle-makers';

const knowledge: BundleKnowledge = {
  migrations: [
    { id: 'a/0001_item', sql: 'CREATE TABLE public."item" (id int, "code" text NOT NULL);' },
    { id: 'a/0002_label_short', sql: 'ALTER TABLE item ADD COLUMN label varchar(20);' },
    { id: 'a/0003_label', sql: 'ALTER TABLE ONLY item ADD COLUMN note text, ADD label text;' },
    { id: 'b/0001_other', sql: 'ALTER TABLE other ADD COLUMN label text; ALTER TABLE item ADD CONSTRAINT label_check CHECK (true);' },
    { id: 'b/0002_pending', sql: 'alter table if exists item add column if not exists code text;' },
  ],
  applied: new Set(['a/0001_item', 'a/0003_label', 'b/0001_other']),
};

describe('Functions: creatorsOf, addersOf, mergedLate', () => {
  it('finds the other migrations that add a column, by ALTER TABLE … ADD or CREATE TABLE, of that table only', () => {
    // Act / Assess
    expect(addersOf('item', 'label', 'a/0002_label_short', knowledge)).toEqual({ applied: ['a/0003_label'], pending: [] });
    expect(addersOf('item', 'code', 'a/0009_x', knowledge)).toEqual({ applied: ['a/0001_item'], pending: ['b/0002_pending'] });
    expect(addersOf('item', 'lab', 'a/0009_x', knowledge)).toEqual({ applied: [], pending: [] });
    expect(addersOf('item', 'label', 'a/0002_label_short', undefined)).toEqual({ applied: [], pending: [] });
  });

  it('finds the other migrations that create a relation', () => {
    // Act / Assess
    expect(creatorsOf('item', 'a/0009_x', knowledge)).toEqual({ applied: ['a/0001_item'], pending: [] });
  });

  it('compares names as PostgreSQL reads them: a quoted one as written, a bare one folded to lower case', () => {
    // Prepare
    const cased: BundleKnowledge = {
      migrations: [
        { id: 'c/0001_quoted', sql: 'create table "Users" (id int, "Email" text);' },
        { id: 'c/0002_bare', sql: 'CREATE TABLE Users (id int, Email text);' },
        { id: 'c/0003_lower_quoted', sql: 'create table public."users" (id int);' },
        { id: 'c/0004_add_quoted', sql: 'ALTER TABLE "Users" ADD COLUMN "Name" text;' },
        { id: 'c/0005_add_bare', sql: 'ALTER TABLE Users ADD COLUMN Name text;' },
        { id: 'c/0006_doubled', sql: `CREATE TYPE app."say ""hi""" AS ENUM ('a');` },
      ],
      applied: new Set(['c/0001_quoted']),
    };
    // Act / Assess
    expect(creatorsOf('Users', 'c/0009_x', cased)).toEqual({ applied: ['c/0001_quoted'], pending: [] });
    expect(creatorsOf('users', 'c/0009_x', cased)).toEqual({ applied: [], pending: ['c/0002_bare', 'c/0003_lower_quoted'] });
    expect(creatorsOf('USERS', 'c/0009_x', cased)).toEqual({ applied: [], pending: [] });
    expect(creatorsOf('say "hi"', 'c/0009_x', cased)).toEqual({ applied: [], pending: ['c/0006_doubled'] });
    expect(addersOf('Users', 'Name', 'c/0009_x', cased)).toEqual({ applied: [], pending: ['c/0004_add_quoted'] });
    expect(addersOf('users', 'name', 'c/0009_x', cased)).toEqual({ applied: [], pending: ['c/0005_add_bare'] });
    expect(addersOf('Users', 'Email', 'c/0009_x', cased)).toEqual({ applied: ['c/0001_quoted'], pending: [] });
    expect(addersOf('users', 'email', 'c/0009_x', cased)).toEqual({ applied: [], pending: ['c/0002_bare'] });
    expect([identifierName('"Users"'), identifierName('Users'), identifierName('"a""b"'), identifierName('Ünï')]).toEqual(['Users', 'users', 'a"b', 'Ünï']);
  });

  it('finds a table\'s first column too, and only columns of the table created', () => {
    // Act / Assess
    expect(addersOf('item', 'id', 'a/0009_x', knowledge)).toEqual({ applied: ['a/0001_item'], pending: [] });
    expect(addersOf('other', 'code', 'a/0009_x', knowledge)).toEqual({ applied: [], pending: [] });
  });

  it('searches 20,000 ALTER TABLE … ADD clauses of one table within one span without semicolons to its end, in time', () => {
    // Prepare: the quadratic regular expression took 1.3 s for 5,000 of them and 23 s for 20,000; a linear search takes milliseconds
    const sql = Array.from({ length: 20_000 }, (_, i) => `ALTER TABLE item ADD COLUMN c${i} int`).join(' ');
    const many: BundleKnowledge = { migrations: [{ id: 'd/0001_many', sql }], applied: new Set() };
    const started = performance.now();
    // Act
    const last = addersOf('item', 'c19999', 'd/0009_x', many);
    const none = addersOf('item', 'label', 'd/0009_x', many);
    const elapsedMs = performance.now() - started;
    // Assess: a bound far above the linear search's time even on a loaded machine
    expect([last, none]).toEqual([{ applied: [], pending: ['d/0001_many'] }, { applied: [], pending: [] }]);
    expect(elapsedMs).toBeLessThan(5_000);
  });

  it('says a migration was merged late only when it comes before the applied one that made the object', () => {
    // Act / Assess
    expect(mergedLate('a/0002_label_short', 'a/0003_label', knowledge)).toContain('a/0002_label_short comes before a/0003_label in the bundle');
    expect(mergedLate('b/0002_pending', 'a/0001_item', knowledge)).toBe('');
    expect(mergedLate('a/0002_label_short', 'a/0003_label', undefined)).toBe('');
  });

  it('counts what a run applied before a failure as applied, asking for it only when looked up', () => {
    // Prepare
    let asked = 0;
    const during = alsoApplied(knowledge, () => {
      asked += 1;
      return ['b/0002_pending'];
    });
    // Act / Assess
    expect(asked).toBe(0);
    expect(addersOf('item', 'code', 'a/0009_x', during)).toEqual({ applied: ['a/0001_item', 'b/0002_pending'], pending: [] });
    expect(during.applied.has('a/0002_label_short')).toBe(false);
    expect(asked).toBe(1);
  });

  it('names the pending migrations that make objects drift found added, in bundle order, and none for removed or changed ones', () => {
    // Prepare
    const bundle: BundleKnowledge = {
      migrations: [...knowledge.migrations, { id: 'c/0001_refunds', sql: 'CREATE TABLE refunds (id int);' }],
      applied: knowledge.applied,
    };
    const drift = [
      { kind: 'column', name: 'public.item.label', change: 'added' },
      { kind: 'table', name: 'public.refunds', change: 'added' },
      { kind: 'column', name: 'public.item.code', change: 'added' },
      { kind: 'table', name: 'public.item', change: 'removed' },
      { kind: 'function', name: 'public.refunds', change: 'added' },
    ];
    // Act / Assess
    expect(pendingMakersOf(drift, bundle)).toEqual(['a/0002_label_short', 'b/0002_pending', 'c/0001_refunds']);
    expect(pendingMakersOf([{ kind: 'table', name: 'public.item', change: 'changed' }], bundle)).toEqual([]);
  });
});
