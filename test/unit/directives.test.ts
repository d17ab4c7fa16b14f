import { parseDirectives } from '../../lib/core/directives';

describe('Function: parseDirectives', () => {
  it('reads directives after a block comment at the top of the file, nested or over several lines', () => {
    // Prepare
    const sql = '/* Adds the member table.\n   /* nested */ still the comment */\n-- stagegate:depends-on org/0002_type\r\n/* one more */ -- and a note\n-- stagegate:no-transaction\nCREATE TABLE member (id int);\n';

    // Act
    const { directives, problems } = parseDirectives(sql);

    // Assess
    expect(problems).toEqual([]);
    expect(directives).toMatchObject({ dependsOn: ['org/0002_type'], noTransaction: true });
  });

  it('takes nothing inside a block comment for a directive', () => {
    // Act
    const { directives, problems } = parseDirectives('/*\n-- stagegate:no-transaction\n*/\nSELECT 1;\n');

    // Assess
    expect(problems).toEqual([]);
    expect(directives.noTransaction).toBe(false);
  });

  it('still reports a directive after SQL that follows a block comment on its line', () => {
    // Act
    const { problems } = parseDirectives('/* seed */ INSERT INTO t VALUES (1);\n-- stagegate:no-transaction\n');

    // Assess
    expect(problems).toEqual([{ line: 2, message: expect.stringContaining('comes after the first SQL statement') }]);
  });
});

describe('Function: parseDirectives, below the header', () => {
  it.each([
    ['a function body', "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n-- stagegate:no-transaction is not for this body\nRETURN 1;\nEND $$;\n"],
    ['a string', "INSERT INTO note VALUES ('see:\n-- stagegate:irreversible\n');\n"],
    ['a block comment', 'SELECT 1;\n/* old header:\n-- stagegate:no-transaction\n*/\n'],
  ])('reads a line inside %s as text, not as a misplaced directive', (_name, sql) => {
    expect(parseDirectives(sql).problems).toEqual([]);
  });

  it('still reports a misplaced directive comment between or inside statements', () => {
    // Act
    const { problems } = parseDirectives("SELECT 'a';\r\n-- stagegate:no-transaction\r\nCREATE TABLE t (\n  -- stagegate:irreversible\n  id int);\n");

    // Assess
    expect(problems.map((p) => p.line)).toEqual([2, 4]);
  });
});
