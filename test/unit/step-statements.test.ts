import { MigrationFailedError } from '../../lib/core/errors';
import type { PlanStep } from '../../lib/core/plan';
import { refuseUnrunnable, statementsOf } from '../../lib/core/step-statements';
import { splitStatements } from '../../lib/core/sql-split';
import { mayBeUnrunnable, unrunnableIn } from '../../lib/core/transaction-control';
import { migration } from '../support/builders';
import { thrown } from '../support/failure';

const apply = (id: string, sql: string, noTransaction = false): PlanStep => ({ kind: 'apply', migration: migration({ id, sql, noTransaction }) });
const revert = (id: string, downSql: string): PlanStep => ({ kind: 'revert', migration: migration({ id, sql: 'create table t (id int);', downSql }), rows: [id] });

const refusal = (steps: PlanStep[]): MigrationFailedError => {
  const error = thrown(() => refuseUnrunnable(steps));
  if (!(error instanceof MigrationFailedError)) throw error;
  return error;
};

describe('refuseUnrunnable', () => {
  it('throws the refusal of the first step in plan order whose script cannot run, naming its file and line', () => {
    // Prepare
    const steps = [apply('a/0001_a', 'create table a (id int);'), apply('a/0002_b', 'create table b (id int);\n\\set x 1\n'), apply('a/0003_c', 'copy a from stdin;\n1\n\\.\n')];

    // Act
    const error = refusal(steps);

    // Assess
    expect(error.failure).toEqual({
      migration: 'a/0002_b',
      file: 'a/0002_b.sql',
      line: 2,
      column: 1,
      statement: '\\set x 1',
      sqlstate: null,
      pgMessage: expect.stringContaining('"\\set x 1" is a psql meta-command'),
      refused: true,
    });
    expect(error.remedy).toContain('Nothing of the migration ran and the ledger was not touched');
  });

  it('names the .down.sql of a reverse step, as reverting', () => {
    // Prepare
    const steps = [revert('a/0002_b', 'drop table b;\n'), revert('a/0001_a', '-- undo\ndrop table a;\n\\connect other\n')];

    // Act
    const error = refusal(steps);

    // Assess
    expect(error.failure).toMatchObject({ migration: 'a/0001_a', file: 'a/0001_a.down.sql', line: 3, statement: '\\connect other', reverting: true, refused: true });
    expect(error.remedy).toContain('Nothing of the reverse script ran');
  });

  it('splits only the scripts whose text mentions such a word, and lets runnable ones through', () => {
    // Prepare: plain DDL, a name with "copy" in it, a no-transaction migration that may ROLLBACK its own transaction, a record step
    const steps: PlanStep[] = [
      apply('a/0001_a', 'create table a (id int);\ncreate index on a (id);'),
      apply('a/0002_b', 'create table copy_job (id int);'),
      apply('a/0003_c', 'begin;\ncreate table c (id int);\nrollback;', true),
      { kind: 'record', migration: migration({ id: 'a/0004_d', sql: 'create table d (id int);' }) },
    ];

    // Act
    const split = refuseUnrunnable(steps);

    // Assess
    expect(split).toBe(2);
    expect(statementsOf(steps[2] as PlanStep).map((s) => s.line)).toEqual([1, 2, 3]);
    expect(statementsOf(steps[3] as PlanStep)).toEqual([]);
  });
});

describe('mayBeUnrunnable', () => {
  it('is true for every script unrunnableIn finds something in, whatever the case, and false for plain DDL', () => {
    // Prepare
    const unrunnable = ['\\connect app', 'CoPy t FROM STDIN', 'Deallocate Prepare ALL', 'DISCARD PLANS', 'RollBack', 'abort work'];
    const plain = ['create table t (id int);', 'create index t_id on t (id);', "insert into t values (1), (2);\nalter table t add column note text default 'n';"];

    // Act
    const found = unrunnable.map((sql) => Object.values(unrunnableIn(splitStatements(sql))).some((v) => v !== null));
    const flagged = unrunnable.map(mayBeUnrunnable);

    // Assess
    expect(found).toEqual(unrunnable.map(() => true));
    expect(flagged).toEqual(unrunnable.map(() => true));
    expect(plain.map(mayBeUnrunnable)).toEqual(plain.map(() => false));
  });
});
