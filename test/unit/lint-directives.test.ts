import { lintFiles } from '../../lib/lint/lint-files';
import { loadSqlParser, type ParseSql } from '../../lib/lint/parse-sql';

let parse: ParseSql;
beforeAll(async () => {
  parse = await loadSqlParser();
});

const lintOne = (content: string) => lintFiles([{ path: 'shop/0001_x.sql', content }], parse);

describe('Unit: lint allow directives', () => {
  it('switches a rule off for the file and keeps the reason', () => {
    // Act
    const report = lintOne('-- stagegate:allow drop-table the table was never used by any release\nDROP TABLE legacy;');
    // Assess
    expect(report.findings).toEqual([]);
    expect(report.allowed).toEqual([expect.objectContaining({ rule: 'drop-table', line: 2, reason: 'the table was never used by any release' })]);
  });

  it('leaves the other rules on', () => {
    const report = lintOne('-- stagegate:allow drop-table unused\nDROP TABLE legacy;\nCREATE INDEX i ON other (a);');
    expect(report.findings.map((f) => f.rule)).toEqual(['index-not-concurrent']);
  });

  it('reports an allow naming an unknown rule, at its line', () => {
    // Act
    const report = lintOne('-- first\n-- stagegate:allow drop-tabel typo in the rule\nDROP TABLE legacy;');
    // Assess
    expect(report.findings).toEqual([
      expect.objectContaining({ rule: 'allow-unknown-rule', line: 2, message: expect.stringContaining('drop-tabel') }),
      expect.objectContaining({ rule: 'drop-table', line: 3 }),
    ]);
  });

  it('reports an allow of a rule that cannot be switched off', () => {
    const report = lintOne('-- stagegate:allow syntax-error it is fine\nSELEC 1;');
    expect(report.findings.map((f) => f.rule)).toEqual(['allow-unknown-rule', 'syntax-error']);
  });

  it('reports an allow without a reason, and does not honour it', () => {
    // Act
    const report = lintOne('-- stagegate:allow drop-table\nDROP TABLE legacy;');
    // Assess
    expect(report.findings).toEqual([
      expect.objectContaining({ rule: 'allow-needs-reason', line: 1, column: 1 }),
      expect.objectContaining({ rule: 'drop-table', line: 2 }),
    ]);
  });

  it('reports other bad directives', () => {
    const report = lintOne('-- stagegate:no-transactoin\nSELECT 1;');
    expect(report.findings).toEqual([expect.objectContaining({ rule: 'bad-directive', line: 1, message: expect.stringContaining('no-transactoin') })]);
  });
});

describe('Unit: lint syntax errors', () => {
  it('gives the line and column of the error in the file', () => {
    // Act: COLUMN is optional, so COLUMNN is the column name, c its type, and int the error
    const report = lintOne('CREATE TABLE a (id int);\n\nALTER TABLE a\n  ADD COLUMN b intt NOT NULL DEFAULT 0,\n  ADD COLUMNN c int;');
    // Assess
    expect(report.findings).toEqual([
      { rule: 'syntax-error', file: 'shop/0001_x.sql', line: 5, column: 17, message: 'syntax error at or near "int"', suggestion: expect.any(String) },
    ]);
  });

  it('places errors the same in a file saved with a BOM and CRLF line ends', () => {
    const report = lintOne('\uFEFFSELEC 1;\r\nSELECT 1;\r\n  SELEC 2;');
    expect(report.findings.map((f) => [f.line, f.column])).toEqual([
      [1, 1],
      [3, 3],
    ]);
  });

  it('places statements after non-ASCII text in UTF-16 units as the engine does, not in bytes', () => {
    const report = lintOne("INSERT INTO a VALUES ('😀 é'); DROP TABLE old;\n  -- ü\n  DROP TABLE older;");
    expect(report.findings.map((f) => [f.rule, f.line, f.column])).toEqual([
      ['drop-table', 1, 32],
      ['drop-table', 3, 3],
    ]);
  });

  it('counts columns in characters after non-ASCII text', () => {
    const report = lintOne("INSERT INTO a VALUES ('😀 é') RETURNIN id;");
    expect(report.findings).toEqual([expect.objectContaining({ rule: 'syntax-error', line: 1, column: 31 })]);
  });

  it('reports each broken statement and still lints the others', () => {
    const report = lintOne('SELEC 1;\nDROP TABLE old;\nSELECT FROM WHERE;');
    expect(report.findings.map((f) => [f.rule, f.line])).toEqual([
      ['syntax-error', 1],
      ['drop-table', 2],
      ['syntax-error', 3],
    ]);
  });

  it.each(['-- stagegate no-transaction', '-- Stagegate:no-transaction', '--STAGEGATE:depends-on shop/0001_a'])('reports %j, which is read as no directive, at its line', (comment) => {
    // Act
    const report = lintOne(`-- adds the index\n${comment}\nSELECT 1;`);
    // Assess
    expect(report.findings).toEqual([expect.objectContaining({ rule: 'bad-directive', line: 2, message: expect.stringContaining('looks like a directive') })]);
  });
});

describe('Unit: lint of psql-only lines (as in pg_dump output)', () => {
  it('says a meta-command and the rows of COPY ... FROM STDIN are psql\'s, at their lines', () => {
    // Prepare
    const sql = "\\restrict k3y\nSET client_encoding = 'UTF8';\nCREATE TABLE item (id int, name text);\nCOPY item (id, name) FROM stdin;\n1\tone\n\\.\n";

    // Act
    const report = lintOne(sql);

    // Assess
    expect(report.findings).toEqual([
      expect.objectContaining({ rule: 'syntax-error', line: 1, message: expect.stringContaining('"\\restrict k3y" is a psql meta-command') }),
      expect.objectContaining({ rule: 'syntax-error', line: 5, message: expect.stringContaining('rows of the COPY … FROM STDIN on line 4') }),
    ]);
  });
});
