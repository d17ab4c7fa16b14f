import { splitStatements } from '../../lib/core/sql-split';
import { copyFromStdinIn, discardingRollbackIn, preparedStatementsDroppedIn, psqlMetaCommandIn, statementHead, transactionControlIn, unrunnableIn } from '../../lib/core/transaction-control';

describe('transactionControlIn', () => {
  it('finds the first statement that controls the transaction, behind comments, in capitals', () => {
    // Prepare
    const statements = splitStatements('create table a (id int);\n-- done\n/* really */ Start   Transaction;\nsavepoint s;\n');

    // Act
    const control = transactionControlIn(statements);

    // Assess
    expect(control).toMatchObject({ word: 'START TRANSACTION', statement: { line: 3 } });
  });

  it('finds none in ordinary DDL, a routine body with BEGIN, or PREPARE of a statement', () => {
    // Prepare
    const sql = [
      'create table began (id int);',
      "create function f() returns int language plpgsql as $$ begin return 1; end $$;",
      'prepare q as select 1;',
      'select 1 as commit;',
      '',
    ].join('\n');

    // Act
    const control = transactionControlIn(splitStatements(sql));

    // Assess
    expect(control).toBeNull();
  });

  it.each(['begin', 'COMMIT', 'end', 'rollback and chain', 'abort', 'release s', 'prepare transaction \'x\''])('treats %s as transaction control', (sql) => {
    expect(transactionControlIn(splitStatements(`${sql};`))).not.toBeNull();
  });
});

describe('statementHead', () => {
  it('skips whitespace, line comments and block comments before the first keyword', () => {
    expect(statementHead('  -- a\n/* b */\n  copy t from stdin')).toBe('copy t from stdin');
  });
});

describe('copyFromStdinIn', () => {
  it.each(['copy t from stdin', 'COPY public.t (a, b) FROM STDIN WITH (FORMAT csv)', '-- rows\nCopy "odd ""name""" from\n  stdin'])('finds %j', (sql) => {
    expect(copyFromStdinIn(splitStatements(`select 1;\n${sql};\n`))?.sql).toMatch(/^copy/i);
  });

  it.each(['copy t from \'/tmp/t.csv\'', 'copy t to stdout', "copy (select 'from stdin') to stdout", 'select 1 as copy'])('finds none in %j', (sql) => {
    expect(copyFromStdinIn(splitStatements(`${sql};`))).toBeNull();
  });
});

describe('discardingRollbackIn', () => {
  it.each(['rollback', 'ROLLBACK WORK', 'rollback and chain', 'abort', 'rollback transaction'])('finds %j', (sql) => {
    expect(discardingRollbackIn(splitStatements(`create table t (id int);\n${sql};\n`))?.line).toBe(2);
  });

  it.each(['rollback to savepoint s', 'ROLLBACK TO s', 'rollback work to savepoint s', "rollback prepared 'x'", 'select 1 as rollback'])('finds none in %j', (sql) => {
    expect(discardingRollbackIn(splitStatements(`${sql};`))).toBeNull();
  });
});

describe('psqlMetaCommandIn', () => {
  it.each([
    ['\\connect other\ncreate table t (id int);', '\\connect other'],
    ["create table t (id int);\n-- from pg_dump\n\\restrict abc123\nset search_path = '';", '\\restrict abc123'],
  ])('finds the meta-command of %j', (sql, command) => {
    expect(psqlMetaCommandIn(splitStatements(sql))?.command).toBe(command);
  });

  it('finds none where a backslash is inside a string', () => {
    expect(psqlMetaCommandIn(splitStatements("select E'\\\\n', '\\connect';"))).toBeNull();
  });
});

describe('preparedStatementsDroppedIn', () => {
  it.each(['deallocate all', 'DEALLOCATE PREPARE ALL', 'discard all', 'Discard Plans'])('finds %j', (sql) => {
    expect(preparedStatementsDroppedIn(splitStatements(`select 1;\n${sql};\n`))?.line).toBe(2);
  });

  it.each(['deallocate q', 'discard temp', 'discard sequences', 'select 1 as deallocate'])('finds none in %j', (sql) => {
    expect(preparedStatementsDroppedIn(splitStatements(`${sql};`))).toBeNull();
  });
});

describe('unrunnableIn', () => {
  it('finds in one pass what each single search finds', () => {
    // Prepare
    const statements = splitStatements('create table t (id int);\ncopy t (id) from stdin;\nrollback;\ndiscard all;\nrollback;\n\\set x 1\n');
    // Act
    const found = unrunnableIn(statements);
    // Assess
    expect(found).toEqual({
      copy: copyFromStdinIn(statements),
      meta: psqlMetaCommandIn(statements),
      dropsPrepared: preparedStatementsDroppedIn(statements),
      rollback: discardingRollbackIn(statements),
    });
    expect([found.copy?.line, found.meta?.command, found.dropsPrepared?.line, found.rollback?.line]).toEqual([2, '\\set x 1', 4, 3]);
  });

  it('finds nothing in plain DDL', () => {
    expect(unrunnableIn(splitStatements('create table t (id int);\ncreate index t_id on t (id);\n'))).toEqual({ copy: null, meta: null, dropsPrepared: null, rollback: null });
  });
});
