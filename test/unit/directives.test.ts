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
