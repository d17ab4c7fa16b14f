import { addersOf, alsoApplied, creatorsOf, mergedLate, type BundleKnowledge } from '../../lib/core/bundle-makers';

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
});
