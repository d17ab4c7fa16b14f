import fc from 'fast-check';
import { indexOfPosition, locate, splitStatements, type SqlStatement } from '../../lib/core/sql-split';

/** The statement expected at `offset`; on a one-line text its column is `offset + 1`. */
const at = (sql: string, offset: number, line = 1, column = offset + 1): SqlStatement => ({ sql, offset, line, column });

/**
 * What must hold for any input: each statement is a non-empty, trimmed slice of
 * the text, followed by a `;` or the end, in order, and placed as `locate` says.
 * Returns the problems rather than asserting, because property runs call it thousands of times.
 */
function problemsOf(text: string, statements: SqlStatement[]): string[] {
  const problems: string[] = [];
  let previousEnd = -1;
  for (const s of statements) {
    const end = s.offset + s.sql.length;
    const { line, column } = locate(text, s.offset);
    if (s.sql === '' || text.slice(s.offset, end) !== s.sql) problems.push(`not a slice at ${s.offset}`);
    if (/^[ \t\n\v\f\r]|[ \t\n\v\f\r]$/.test(s.sql)) problems.push(`untrimmed at ${s.offset}`);
    if (!/^[ \t\n\v\f\r]*(;|$)/.test(text.slice(end))) problems.push(`no semicolon after ${s.offset}`);
    if (s.offset <= previousEnd) problems.push(`out of order at ${s.offset}`);
    if (line !== s.line || column !== s.column) problems.push(`misplaced at ${s.offset}`);
    previousEnd = end;
  }
  return problems;
}

describe('Function: splitStatements', () => {
  describe('statement boundaries', () => {
    it('returns no statements for empty input', () => {
      // Act
      const statements = splitStatements('');
      // Assess
      expect(statements).toEqual([]);
    });

    it('returns no statements for whitespace and comments only', () => {
      // Prepare
      const text = '  \n-- first; comment\n/* second; /* nested; */ comment */\n\t;\n';
      // Act
      const statements = splitStatements(text);
      // Assess
      expect(statements).toEqual([]);
    });

    it('splits on semicolons and places each statement', () => {
      // Prepare
      const text = 'CREATE TABLE a (id int);\n  INSERT INTO a VALUES (1);\n';
      // Act
      const statements = splitStatements(text);
      // Assess
      expect(statements).toEqual([
        { sql: 'CREATE TABLE a (id int)', offset: 0, line: 1, column: 1 },
        { sql: 'INSERT INTO a VALUES (1)', offset: 27, line: 2, column: 3 },
      ]);
    });

    it('keeps a final statement that has no semicolon', () => {
      // Act
      const statements = splitStatements('SELECT 1;\nSELECT 2  \n');
      // Assess
      expect(statements).toEqual([
        { sql: 'SELECT 1', offset: 0, line: 1, column: 1 },
        { sql: 'SELECT 2', offset: 10, line: 2, column: 1 },
      ]);
    });

    it('drops leading comments and whitespace but keeps comments inside a statement', () => {
      // Prepare
      const text = '-- header\n/* block */\n  SELECT 1 /* inline; */ + 2 -- trailing;\n;';
      // Act
      const statements = splitStatements(text);
      // Assess
      expect(statements).toEqual([{ sql: 'SELECT 1 /* inline; */ + 2 -- trailing;', offset: 24, line: 3, column: 3 }]);
    });

    it('ignores empty statements and a comment after the last semicolon', () => {
      // Act
      const statements = splitStatements(';;SELECT 1;; \n ;\n-- done; really\n');
      // Assess
      expect(statements).toEqual([{ sql: 'SELECT 1', offset: 2, line: 1, column: 3 }]);
    });

    it('trims every kind of trailing whitespace', () => {
      // Act
      const statements = splitStatements('SELECT 1 \t\v\f\r\n ;');
      // Assess
      expect(statements).toEqual([{ sql: 'SELECT 1', offset: 0, line: 1, column: 1 }]);
    });
  });

  describe('lines and columns', () => {
    it('counts CRLF as one line break', () => {
      // Act
      const statements = splitStatements('SELECT 1;\r\nSELECT 2;\r\n\r\n  SELECT 3');
      // Assess
      expect(statements).toEqual([
        { sql: 'SELECT 1', offset: 0, line: 1, column: 1 },
        { sql: 'SELECT 2', offset: 11, line: 2, column: 1 },
        { sql: 'SELECT 3', offset: 26, line: 4, column: 3 },
      ]);
    });

    it('counts a lone CR as a line break', () => {
      // Act
      const statements = splitStatements('SELECT 1;\rSELECT 2;\n\r SELECT 3');
      // Assess
      expect(statements.map(({ line, column }) => [line, column])).toEqual([
        [1, 1],
        [2, 1],
        [4, 2],
      ]);
    });

    it('counts columns in UTF-16 code units', () => {
      // Prepare: the emoji is two code units
      const text = "SELECT '😀';SELECT 2";
      // Act
      const statements = splitStatements(text);
      // Assess
      expect(statements[1]).toEqual({ sql: 'SELECT 2', offset: 12, line: 1, column: 13 });
    });

    it('leaves a leading byte order mark out of the first statement', () => {
      // Act
      const statements = splitStatements('\uFEFFSELECT 1');
      // Assess
      expect(statements).toEqual([{ sql: 'SELECT 1', offset: 1, line: 1, column: 2 }]);
    });
  });

  describe('quotes', () => {
    it.each([
      ['single quotes with a doubled quote', "SELECT 'it''s; fine';SELECT 2", [at("SELECT 'it''s; fine'", 0), at('SELECT 2', 21)]],
      ['a standard string, where a backslash is literal', "SELECT 'a\\';SELECT 2", [at("SELECT 'a\\'", 0), at('SELECT 2', 12)]],
      ['an E string with a backslash escape', "SELECT E'it\\'s;';SELECT 2", [at("SELECT E'it\\'s;'", 0), at('SELECT 2', 17)]],
      ['an e string ending in an escaped backslash', "SELECT e'\\\\';SELECT 2", [at("SELECT e'\\\\'", 0), at('SELECT 2', 13)]],
      ['an E string with a doubled quote', "SELECT E'a''b;';SELECT 2", [at("SELECT E'a''b;'", 0), at('SELECT 2', 16)]],
      ['an empty E string', "SELECT E'';SELECT 2", [at("SELECT E''", 0), at('SELECT 2', 11)]],
      ['a string after a word ending in E, which is no escape prefix', "SELECT tablE'a\\';SELECT 2", [at("SELECT tablE'a\\'", 0), at('SELECT 2', 17)]],
      ['a quoted identifier with a doubled quote', 'SELECT 1 AS "a;""b";SELECT 2', [at('SELECT 1 AS "a;""b"', 0), at('SELECT 2', 20)]],
      ['a quoted identifier holding a quote', `SELECT 1 AS "it's;";SELECT 2`, [at(`SELECT 1 AS "it's;"`, 0), at('SELECT 2', 20)]],
    ])('finds the end of %s', (_name, text, expected) => {
      // Act
      const statements = splitStatements(text);
      // Assess
      expect(statements).toEqual(expected);
    });
  });

  describe('dollar quotes', () => {
    it.each([
      ['an anonymous dollar quote', 'SELECT $$a;b$$;SELECT 2', [at('SELECT $$a;b$$', 0), at('SELECT 2', 15)]],
      ['a tagged dollar quote holding $$', 'SELECT $fn$ a; $$ b; $fn$;SELECT 2', [at('SELECT $fn$ a; $$ b; $fn$', 0), at('SELECT 2', 26)]],
      ['a dollar quote holding a tag that shares its prefix', 'SELECT $a$ $ab$ ; $a$;SELECT 2', [at('SELECT $a$ $ab$ ; $a$', 0), at('SELECT 2', 22)]],
      ['a dollar quote holding a tag that differs only in case', 'SELECT $A$ $a$; $A$;SELECT 2', [at('SELECT $A$ $a$; $A$', 0), at('SELECT 2', 20)]],
      ['a dollar quote whose tag has digits and underscores', 'SELECT $_t1$ ; $_t1$;SELECT 2', [at('SELECT $_t1$ ; $_t1$', 0), at('SELECT 2', 21)]],
      ['an empty dollar quote', 'SELECT $$$$;SELECT 2', [at('SELECT $$$$', 0), at('SELECT 2', 12)]],
    ])('finds the end of %s', (_name, text, expected) => {
      // Act
      const statements = splitStatements(text);
      // Assess
      expect(statements).toEqual(expected);
    });

    it('treats $1 as a parameter, not a quote', () => {
      // Act
      const statements = splitStatements('SELECT $1 + $2;SELECT $3');
      // Assess
      expect(statements).toEqual([at('SELECT $1 + $2', 0), at('SELECT $3', 15)]);
    });

    it('treats a $ right after an identifier character as part of the identifier', () => {
      // Prepare: `a$b$` is one identifier; the later `$b$` opens a quote
      const text = 'SELECT a$b$ FROM t;SELECT $b$;$b$';
      // Act
      const statements = splitStatements(text);
      // Assess
      expect(statements).toEqual([at('SELECT a$b$ FROM t', 0), at('SELECT $b$;$b$', 19)]);
    });

    it('keeps a PL/pgSQL body with BEGIN and semicolons in one statement', () => {
      // Prepare
      const fn = 'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$\nBEGIN\n  RETURN 1;\nEND;\n$body$';
      // Act
      const statements = splitStatements(`${fn};\nSELECT f()`);
      // Assess
      expect(statements).toEqual([at(fn, 0), at('SELECT f()', fn.length + 2, 6, 1)]);
    });
  });

  describe('comments', () => {
    it.each([
      ['a line comment', 'SELECT 1 -- not; the end\n, 2;SELECT 3', [at('SELECT 1 -- not; the end\n, 2', 0), at('SELECT 3', 29, 2, 5)]],
      ['nested block comments', 'SELECT /* a /* b; */ still; */ 1;SELECT 2', [at('SELECT /* a /* b; */ still; */ 1', 0), at('SELECT 2', 33)]],
      ['a block comment holding a quote', "SELECT 1 /* it's; */;SELECT 2", [at("SELECT 1 /* it's; */", 0), at('SELECT 2', 21)]],
      ['a line comment holding a quote', "-- it's\nSELECT 1;SELECT 2", [at('SELECT 1', 8, 2, 1), at('SELECT 2', 17, 2, 10)]],
      ['a line comment ended by a lone CR', 'SELECT 1 -- x\r;SELECT 2', [at('SELECT 1 -- x', 0), at('SELECT 2', 15, 2, 2)]],
    ])('skips semicolons in %s', (_name, text, expected) => {
      // Act
      const statements = splitStatements(text);
      // Assess
      expect(statements).toEqual(expected);
    });

    it.each([
      ['--', "SELECT '--';SELECT 2", [at("SELECT '--'", 0), at('SELECT 2', 12)]],
      ['/*', "SELECT '/*';SELECT 2", [at("SELECT '/*'", 0), at('SELECT 2', 12)]],
    ])('does not start a comment at %s inside a string', (_name, text, expected) => {
      // Act
      const statements = splitStatements(text);
      // Assess
      expect(statements).toEqual(expected);
    });

    it('starts the statement after a nested leading comment', () => {
      // Act
      const statements = splitStatements('/* a /* b */ c; */SELECT 1');
      // Assess
      expect(statements).toEqual([at('SELECT 1', 18)]);
    });
  });

  describe('parentheses', () => {
    it('does not split inside parentheses, as in a multi-action rule', () => {
      // Prepare
      const rule = 'CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))';
      // Act
      const statements = splitStatements(`${rule};\nSELECT 1`);
      // Assess
      expect(statements).toEqual([at(rule, 0), at('SELECT 1', rule.length + 2, 2, 1)]);
    });

    it('ignores a stray closing parenthesis', () => {
      // Act
      const statements = splitStatements('SELECT 1);SELECT (2)');
      // Assess
      expect(statements).toEqual([at('SELECT 1)', 0), at('SELECT (2)', 10)]);
    });
  });

  describe('BEGIN ATOMIC bodies', () => {
    it('keeps a SQL-standard function body in one statement and splits after END', () => {
      // Prepare
      const fn = 'CREATE FUNCTION add(a int, b int) RETURNS int\nLANGUAGE sql\nBEGIN ATOMIC\n  SELECT a + b;\nEND';
      // Act
      const statements = splitStatements(`${fn};\nCREATE TABLE t (id int);`);
      // Assess
      expect(statements).toEqual([at(fn, 0), at('CREATE TABLE t (id int)', fn.length + 2, 6, 1)]);
    });

    it('nests CASE ... END inside a body, in any letter case', () => {
      // Prepare
      const proc =
        'create or replace procedure p(x int)\nlanguage sql\nbegin atomic\n' +
        '  insert into t select case when x > 0 then x else 0 end;\n  insert into t values (1);\nend';
      // Act
      const statements = splitStatements(`${proc};\nselect 1;`);
      // Assess
      expect(statements).toEqual([at(proc, 0), at('select 1', proc.length + 2, 7, 1)]);
    });

    it('recognises the header with comments between its words', () => {
      // Prepare: the second line of `fn` starts at offset 25
      const fn = 'CREATE /* c; */ OR -- x;\n REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END';
      // Act
      const statements = splitStatements(`${fn};SELECT 2`);
      // Assess
      expect(statements).toEqual([at(fn, 0), at('SELECT 2', fn.length + 1, 2, fn.length + 1 - 25 + 1)]);
    });

    it('does not count a parameter named begin', () => {
      // Act
      const statements = splitStatements('CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql RETURN 1;SELECT 2');
      // Assess
      expect(statements).toEqual([at('CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql RETURN 1', 0), at('SELECT 2', 63)]);
    });

    it('splits plain BEGIN and COMMIT transaction statements', () => {
      // Act
      const statements = splitStatements('BEGIN;\nUPDATE t SET x = 1;\nCOMMIT;');
      // Assess
      expect(statements).toEqual([at('BEGIN', 0), at('UPDATE t SET x = 1', 7, 2, 1), at('COMMIT', 27, 3, 1)]);
    });

    it.each([
      ['CASE ... END outside a routine', 'SELECT CASE WHEN true THEN 1 END;BEGIN;END', [at('SELECT CASE WHEN true THEN 1 END', 0), at('BEGIN', 33), at('END', 39)]],
      [
        'a trigger that executes a function',
        'CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();BEGIN;COMMIT',
        [at('CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()', 0), at('BEGIN', 71), at('COMMIT', 77)],
      ],
      ['a DO block', 'DO $$ BEGIN PERFORM 1; END $$;SELECT 1', [at('DO $$ BEGIN PERFORM 1; END $$', 0), at('SELECT 1', 30)]],
    ])('does not nest BEGIN or CASE in %s', (_name, text, expected) => {
      // Act
      const statements = splitStatements(text);
      // Assess
      expect(statements).toEqual(expected);
    });
  });

  describe('unterminated text', () => {
    it.each([
      ['a string', "SELECT 1; SELECT 'abc; SELECT 2;", [at('SELECT 1', 0), at("SELECT 'abc; SELECT 2;", 10)]],
      ['a quoted identifier', 'SELECT 1; SELECT "abc; SELECT 2;', [at('SELECT 1', 0), at('SELECT "abc; SELECT 2;', 10)]],
      ['an E string ending in a backslash', "SELECT 1; SELECT E'abc;\\", [at('SELECT 1', 0), at("SELECT E'abc;\\", 10)]],
      ['a dollar quote', 'SELECT 1; SELECT $x$ abc; SELECT 2; $x;', [at('SELECT 1', 0), at('SELECT $x$ abc; SELECT 2; $x;', 10)]],
      ['a block comment inside a statement', 'SELECT 1 /* abc; SELECT 2;  \n', [at('SELECT 1 /* abc; SELECT 2;', 0)]],
      ['a block comment before any statement', 'SELECT 1; /* abc /* */; SELECT 2;', [at('SELECT 1', 0), at('/* abc /* */; SELECT 2;', 10)]],
      ['a BEGIN ATOMIC body', 'CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1; SELECT 2;', [at('CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1; SELECT 2;', 0)]],
    ])('keeps the rest after %s as the last statement', (_name, text, expected) => {
      // Act
      const statements = splitStatements(text);
      // Assess
      expect(statements).toEqual(expected);
    });
  });

  describe('properties', () => {
    // Fragments that are safe to join with spaces; several hide a `;` the splitter must skip.
    const fragment = fc.constantFrom(
      'x', 'a1', 'now()', '42', '$1', 'a$b$', 'BEGIN', 'END', 'CASE', "'a;b'", "'it''s;'", "E'x\\';y'", "e'\\\\'",
      '"q;""id"', '$$;$$', '$t$ ; $$ ; $t$', '/* ; */', '/* a /* b */ ; */', '-- ;\n', '(1; 2)', 'f(a, (b; c))',
    );
    // Inside a BEGIN ATOMIC body the keywords would change the nesting, so they are left out there.
    const bodyFragment = fragment.filter((f) => !['BEGIN', 'END', 'CASE'].includes(f));
    const plain = fc.array(fragment, { maxLength: 6 }).map((parts) => ['SELECT', ...parts, 'z'].join(' '));
    const body = fc.array(bodyFragment, { maxLength: 4 }).map((parts) => ['SELECT', ...parts, 'z'].join(' '));
    const routine = fc
      .array(body, { minLength: 1, maxLength: 3 })
      .map((bodies) => `CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC ${bodies.join('; ')}; END`);
    const separator = fc.constantFrom(';\n', ';', ' ; ', ';\r\n', ';\n-- note;\n', '; /* c; */ ', ';;\n');

    it('gives back the statements it was given, whatever separates them', () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.oneof(plain, plain, routine), separator), { minLength: 1, maxLength: 6 }),
          fc.constantFrom('', '\n', '-- head;\n', '/* head; */ '),
          fc.boolean(),
          (pairs, head, withLastSeparator) => {
            // Prepare
            const statements = pairs.map(([sql]) => sql);
            const text = head + pairs.map(([sql, sep], k) => (k < pairs.length - 1 || withLastSeparator ? sql + sep : sql)).join('');
            // Act
            const result = splitStatements(text);
            // Assess
            expect(result.map((s) => s.sql)).toEqual(statements);
            expect(problemsOf(text, result)).toEqual([]);
          },
        ),
        { numRuns: 500 },
      );
    });

    it('never throws and always returns well-formed slices of arbitrary text', () => {
      // Prepare: a soup of the characters and words the scanner reacts to, plus any string at all
      const token = fc.constantFrom(
        "'", '"', '$', '$$', '$a$', '$A$', '$1', ';', '--', '/*', '*/', '\\', 'E', "E'", 'e', '\n', '\r', '\r\n', ' ', '\t',
        'a', '_', '1', '(', ')', 'begin', 'END', 'case', 'create', 'or', 'replace', 'function', 'procedure', '\uFEFF', 'é', '😀',
      );
      const soup = fc.array(token, { maxLength: 80 }).map((tokens) => tokens.join(''));
      fc.assert(
        fc.property(fc.oneof(soup, soup, fc.string({ maxLength: 120 }), fc.string({ unit: 'binary', maxLength: 120 })), (text) => {
          // Act
          const result = splitStatements(text);
          // Assess
          expect(problemsOf(text, result)).toEqual([]);
        }),
        { numRuns: 1000 },
      );
    });
  });

  describe('performance', () => {
    // Loose budgets: they catch a quadratic scan or a backtracking blowup, not a busy CI machine.
    it.each([
      ['unclosed nested comments', '/*'.repeat(500_000), 1],
      ['quotes', "'".repeat(1_000_001), 1],
      ['dollar quotes', '$a$'.repeat(300_001), 1],
      ['dollars', '$'.repeat(1_000_000), 1],
      ['backslashes in an E string', `E'${'\\'.repeat(1_000_000)}`, 1],
      ['routine headers', 'create function f() begin '.repeat(40_000), 1],
      ['parentheses', '('.repeat(1_000_000), 1],
      ['semicolons', ';'.repeat(1_000_000), 0],
      ['statements on one line', 'SELECT 1;'.repeat(100_000), 100_000],
      ['near-miss dollar tags', `$${'a'.repeat(40)}$${`$${'a'.repeat(39)}b`.repeat(20_000)}`, 1],
    ])('scans about a megabyte of %s in linear time', (_name, text, expectedCount) => {
      // Act
      const started = performance.now();
      const statements = splitStatements(text);
      const elapsed = performance.now() - started;
      // Assess: a quadratic scan of this much text would take minutes
      expect(statements).toHaveLength(expectedCount);
      expect(elapsed).toBeLessThan(1_000);
    });

    it('splits 10,000 small migrations, two statements each', () => {
      // How fast is measured by the benchmarks (npm run bench, W1 and W4), not here: a timed test only measures the machine's load.
      const migrations = Array.from(
        { length: 10_000 },
        (_, k) =>
          `-- ${k}: a table and its index\nCREATE TABLE IF NOT EXISTS account_${k} (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n` +
          `  email text NOT NULL,\n  note text DEFAULT 'none; really',\n  created_at timestamptz NOT NULL DEFAULT now()\n);\n\n` +
          `CREATE INDEX account_${k}_email_idx ON account_${k} (lower(email)); /* done */\n`,
      );
      // Act
      const count = migrations.reduce((sum, m) => sum + splitStatements(m).length, 0);
      // Assess
      expect(count).toBe(20_000);
    });
  });
});

describe('Function: locate', () => {
  it.each([
    ['the start', 'abc', 0, { line: 1, column: 1 }],
    ['a column on the first line', 'abc', 2, { line: 1, column: 3 }],
    ['the start of a line after LF', 'a\nbc', 2, { line: 2, column: 1 }],
    ['a column after LF', 'a\nbc', 3, { line: 2, column: 2 }],
    ['the start of a line after CRLF', 'a\r\nb', 3, { line: 2, column: 1 }],
    ['the start of a line after a lone CR', 'a\rb', 2, { line: 2, column: 1 }],
    ['mixed line breaks', 'a\r\n\r\n\rb\nc', 8, { line: 5, column: 1 }],
    ['the end of the text', 'a\nb', 3, { line: 2, column: 2 }],
    ['an offset past the end, clamped', 'a\nb', 99, { line: 2, column: 2 }],
    ['a negative offset, clamped', 'ab', -3, { line: 1, column: 1 }],
    ['an empty text', '', 5, { line: 1, column: 1 }],
  ])('places %s', (_name, text, offset, expected) => {
    // Act
    const place = locate(text, offset);
    // Assess
    expect(place).toEqual(expected);
  });
});

describe('Function: indexOfPosition', () => {
  it.each([
    ['the first character', 'abc', 1, 0],
    ['a later character', 'abc', 3, 2],
    ['one past the end', 'abc', 4, 3],
    ['a position past the end, clamped', 'abc', 99, 3],
    ['a position below 1, as the start', 'abc', 0, 0],
    ['a character after one outside the BMP', '😀x', 2, 2],
    ['a character after accented letters', 'é€x', 3, 2],
  ])('finds %s', (_name, text, position, expected) => {
    // Act
    const index = indexOfPosition(text, position);
    // Assess
    expect(index).toBe(expected);
  });
});
