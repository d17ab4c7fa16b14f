/**
 * The search for scripts that cannot run, made once over a decoded version 2
 * bundle's SQL text (`unrunnableLookup`): it must flag every script the
 * per-script search flags, whatever the neighbouring texts hold.
 */
import { recordFacts, unrunnableLookup } from '../../lib/core/bundle-facts';
import { decodeBundle, encodeBundle } from '../../lib/core/bundle-format';
import { buildCatalog } from '../../lib/core/catalog';
import { sha256Hex } from '../../lib/core/checksum';
import { MigrationFailedError } from '../../lib/core/errors';
import type { Migration } from '../../lib/core/migration';
import { plan, type PlanStep } from '../../lib/core/plan';
import { refuseUnrunnable } from '../../lib/core/step-statements';
import { mayBeUnrunnable } from '../../lib/core/transaction-control';
import { thrown } from '../support/failure';

const pad = (i: number): string => String(i).padStart(4, '0');
const file = (i: number, content: string, down = false) => ({ path: `org/${pad(i)}_m${pad(i)}${down ? '.down' : ''}.sql`, content });
const decoded = (files: { path: string; content: string }[]): Migration[] => {
  const { bytes } = encodeBundle(buildCatalog(files));
  return decodeBundle(bytes, 'pinned.json.gz', sha256Hex(bytes)).migrations;
};
const applyAll = (migrations: readonly Migration[]): PlanStep[] => plan(migrations, []);
const refusal = (steps: PlanStep[], migrations: readonly Migration[]): MigrationFailedError => {
  const error = thrown(() => refuseUnrunnable(steps, migrations));
  if (!(error instanceof MigrationFailedError)) throw error;
  return error;
};
/** What the lookup answers for each migration of the array, asked in order. */
const answers = (migrations: readonly Migration[]): (boolean | undefined)[] => {
  const known = unrunnableLookup(migrations, migrations.length);
  return migrations.map((m) => known?.(m));
};
const plain = (i: number) => file(i, `CREATE TABLE t${i} (id bigint NOT NULL, note text);\nCREATE INDEX t${i}_id ON t${i} (id);\n`);

describe('Function: unrunnableLookup on a decoded bundle', () => {
  it('flags only the migration holding a psql meta-command, and refuseUnrunnable refuses it with its line', () => {
    // Prepare: twelve migrations, the seventh with \set on its second line
    const files = Array.from({ length: 12 }, (_, k) => (k === 6 ? file(7, 'CREATE TABLE t7 (id int);\n\\set x 1\n') : plain(k + 1)));
    const migrations = decoded(files);
    // Act
    const flags = answers(migrations);
    const error = refusal(applyAll(migrations), migrations);
    // Assess
    expect(flags).toEqual(migrations.map((_, k) => k === 6));
    expect(error.failure).toMatchObject({ migration: 'org/0007_m0007', line: 2, statement: '\\set x 1', refused: true });
  });

  it('refuses COPY … FROM STDIN in a reverse script, which it searches on its own', () => {
    // Prepare
    const migrations = decoded([plain(1), file(1, 'DROP TABLE t1;\n', true), plain(2), file(2, 'DROP TABLE t2;\nCOPY t1 (id) FROM STDIN;\n', true)]);
    const steps: PlanStep[] = [...migrations].reverse().map((m) => ({ kind: 'revert', migration: m, rows: [m.id] }));
    // Act
    const error = refusal(steps, migrations);
    // Assess
    expect(error.failure).toMatchObject({ migration: 'org/0002_m0002', file: 'org/0002_m0002.down.sql', line: 2, reverting: true, refused: true });
  });

  it('marks both migrations a word spans, and the word found across the end hides none after it', () => {
    // Prepare: "rollb" + "ack" spans the two texts; the second then has a ROLLBACK of its own
    const migrations = decoded([file(1, 'CREATE TABLE a (id int); -- rollb'), file(2, 'ack;\nROLLBACK;\n'), plain(3)]);
    // Act
    const flags = answers(migrations);
    const error = refusal(applyAll(migrations), migrations);
    // Assess
    expect(flags).toEqual([true, true, false]);
    expect(error.failure).toMatchObject({ migration: 'org/0002_m0002', line: 2, refused: true });
  });

  it('falls back to the per-script search when the text holds too many such words, or for another array', () => {
    // Prepare: 5,000 "copy" in comments, then a \connect in the last migration
    const migrations = decoded([file(1, `-- ${'copy '.repeat(5000)}\nSELECT 1;`), plain(2), file(3, '\\connect other\n')]);
    // Act
    const flags = answers(migrations);
    const error = refusal(applyAll(migrations), migrations);
    const copied = thrown(() => refuseUnrunnable(applyAll(migrations), [...migrations]));
    // Assess
    expect(flags).toEqual([undefined, undefined, undefined]);
    expect(error.failure).toMatchObject({ migration: 'org/0003_m0003', statement: '\\connect other' });
    expect(copied).toBeInstanceOf(MigrationFailedError);
    expect(unrunnableLookup([...migrations], 3)).toBeNull();
  });

  it('is not used for a few steps of a large bundle, and answers undefined for a migration out of order', () => {
    // Prepare
    const migrations = decoded(Array.from({ length: 8 }, (_, k) => plain(k + 1)));
    const known = unrunnableLookup(migrations, 8);
    // Act
    const late = known?.(migrations[5] as Migration);
    const earlier = known?.(migrations[2] as Migration);
    // Assess
    expect(unrunnableLookup(migrations, 1)).toBeNull();
    expect(late).toBe(false);
    expect(earlier).toBeUndefined();
  });
});

describe('Function: unrunnableLookup against mayBeUnrunnable', () => {
  it('never answers false for a script the per-script search flags, over texts cut anywhere between words', () => {
    // Prepare: random texts made of word pieces, so that words span the texts' ends in every way
    const pieces = ['co', 'py', 'COPY', 'de', 'alloc', 'ate', 'dis', 'card', 'Roll', 'back', 'ab', 'ort', '\\', ' ', 'x;', 'ABORT', 'b', 'a', 'c'];
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const misses: string[] = [];
    for (let round = 0; round < 200; round += 1) {
      const texts = Array.from({ length: 6 }, () => Array.from({ length: 1 + next(5) }, () => pieces[next(pieces.length)]).join(''));
      const migrations = texts.map((sql, k) => ({ id: `a/${pad(k)}_m`, sql }) as Migration);
      recordFacts(migrations, texts.join(''), texts.map((t) => t.length), texts.map(() => null), { dependenciesDerived: true, noDirectives: true });
      // Act
      const flags = answers(migrations);
      // Assess (below): every flagged script answered true
      texts.forEach((sql, k) => {
        if (mayBeUnrunnable(sql) && flags[k] !== true) misses.push(JSON.stringify(texts));
      });
    }
    expect(misses).toEqual([]);
  });
});
