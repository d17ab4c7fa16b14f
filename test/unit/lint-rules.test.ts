import { lintFiles } from '../../lib/lint/lint-files';
import { loadSqlParser, type ParseSql } from '../../lib/lint/parse-sql';
import { LINT_RULES } from '../../lib/lint/registry';

/** The tables every example alters: created by an earlier migration, so they may hold rows. */
const BEFORE = `CREATE TABLE shop (id bigint PRIMARY KEY, name varchar(100), code text, price numeric(10,2), qty integer, parent_id bigint);
CREATE TABLE shop_kind (id bigint PRIMARY KEY);
CREATE INDEX shop_name_idx ON shop (name);`;

let parse: ParseSql;
beforeAll(async () => {
  parse = await loadSqlParser();
});

/** The rule ids found in `sql`, run as the second migration after {@link BEFORE}. */
function rulesIn(sql: string): string[] {
  const report = lintFiles(
    [
      { path: 'shop/0001_before.sql', content: BEFORE },
      { path: 'shop/0002_change.sql', content: sql },
    ],
    parse,
  );
  return report.findings.map((f) => f.rule);
}

const NO_TX = '-- stagegate:no-transaction\n';

/** [rule, failing example, passing example]: the passing one is the safer form or a case the rule must not flag. */
const EXAMPLES: [string, string, string][] = [
  ['drop-column', 'ALTER TABLE shop DROP COLUMN code;', 'CREATE TABLE tmp (a int, b int); ALTER TABLE tmp DROP COLUMN b;'],
  ['rename-column', 'ALTER TABLE shop RENAME COLUMN code TO sku;', 'ALTER TABLE shop RENAME CONSTRAINT shop_pkey TO shop_pk;'],
  ['drop-table', 'DROP TABLE shop_kind;', 'CREATE TABLE scratch (a int); DROP TABLE scratch;'],
  ['rename-table', 'ALTER TABLE shop_kind RENAME TO shop_type;', 'ALTER INDEX shop_name_idx RENAME TO shop_name_index;'],
  ['narrow-type', 'ALTER TABLE shop ALTER COLUMN name TYPE varchar(50);', 'ALTER TABLE shop ALTER COLUMN name TYPE varchar(200);'],
  ['add-not-null', 'ALTER TABLE shop ADD COLUMN region text NOT NULL;', "ALTER TABLE shop ADD COLUMN region text NOT NULL DEFAULT 'eu';"],
  ['index-not-concurrent', 'CREATE INDEX shop_code_idx ON shop (code);', `${NO_TX}CREATE INDEX CONCURRENTLY shop_code_idx ON shop (code);`],
  [
    'fk-not-valid',
    'ALTER TABLE shop ADD CONSTRAINT shop_parent_fk FOREIGN KEY (parent_id) REFERENCES shop (id);',
    'ALTER TABLE shop ADD CONSTRAINT shop_parent_fk FOREIGN KEY (parent_id) REFERENCES shop (id) NOT VALID;',
  ],
  ['check-not-valid', 'ALTER TABLE shop ADD CONSTRAINT shop_qty_positive CHECK (qty > 0);', 'ALTER TABLE shop ADD CONSTRAINT shop_qty_positive CHECK (qty > 0) NOT VALID;'],
  ['type-change-rewrite', 'ALTER TABLE shop ALTER COLUMN qty TYPE bigint;', 'ALTER TABLE shop ALTER COLUMN name TYPE text;'],
  ['vacuum-full', `${NO_TX}VACUUM FULL shop;`, `${NO_TX}VACUUM (ANALYZE) shop;`],
  ['cluster', 'CLUSTER shop USING shop_name_idx;', 'CREATE TABLE fresh (a int); CREATE INDEX fresh_a ON fresh (a); CLUSTER fresh USING fresh_a;'],
  ['needs-no-transaction', 'CREATE INDEX CONCURRENTLY shop_code_idx ON shop (code);', `${NO_TX}CREATE INDEX CONCURRENTLY shop_code_idx ON shop (code);`],
  [
    'no-transaction-multi-statement',
    `${NO_TX}CREATE INDEX CONCURRENTLY a_idx ON shop (code);\nCREATE INDEX CONCURRENTLY b_idx ON shop (qty);`,
    `${NO_TX}CREATE INDEX CONCURRENTLY a_idx ON shop (code);`,
  ],
  ['syntax-error', 'ALTER TABLE shop ADD COLUMN;', 'ALTER TABLE shop ADD COLUMN note text;'],
];

describe('Unit: lint rules through the PostgreSQL parser', () => {
  it.each(EXAMPLES)('%s flags the failing example and not the passing one', (rule, failing, passing) => {
    // Act
    const flagged = rulesIn(failing);
    const clean = rulesIn(passing);
    // Assess
    expect(flagged).toContain(rule);
    expect(clean).not.toContain(rule);
  });

  it('has a failing and a passing example for every statement rule', () => {
    const statementRules = LINT_RULES.filter((r) => r.allowable).map((r) => r.id);
    expect(EXAMPLES.map(([rule]) => rule)).toEqual(expect.arrayContaining(statementRules));
  });

  it.each([
    ['an index on a table created in the same migration', 'CREATE TABLE t (a int); CREATE INDEX t_a ON t (a);'],
    ['a foreign key on a table created in the same migration', 'CREATE TABLE t (a bigint); ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES shop (id);'],
    ['a foreign key inside CREATE TABLE', 'CREATE TABLE t (a bigint REFERENCES shop (id), CHECK (a > 0));'],
    ['varchar(n) to text', 'ALTER TABLE shop ALTER COLUMN name TYPE text;'],
    ['varchar(n) to a longer varchar', 'ALTER TABLE shop ALTER COLUMN name TYPE varchar(255);'],
    ['numeric to a larger precision with the same scale', 'ALTER TABLE shop ALTER COLUMN price TYPE numeric(12,2);'],
    ['a NOT NULL column with a default', 'ALTER TABLE shop ADD COLUMN active boolean NOT NULL DEFAULT true;'],
    ['an identity column', 'ALTER TABLE shop_kind ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;'],
    ['a nullable column', 'ALTER TABLE shop ADD COLUMN note text;'],
    ['a unique constraint using an index built concurrently', 'ALTER TABLE shop ADD CONSTRAINT shop_code_key UNIQUE USING INDEX shop_code_idx;'],
    ['VALIDATE CONSTRAINT of a constraint added by an earlier migration', 'ALTER TABLE shop VALIDATE CONSTRAINT shop_parent_fk;'],
  ])('does not flag %s', (_name, sql) => {
    expect(rulesIn(sql)).toEqual([]);
  });

  it.each([
    ['text to varchar(n) narrows', 'ALTER TABLE shop ALTER COLUMN code TYPE varchar(20);', 'narrow-type'],
    ['bigint to integer narrows', 'ALTER TABLE shop ALTER COLUMN parent_id TYPE integer;', 'narrow-type'],
    ['a type change with USING rewrites', 'ALTER TABLE shop ALTER COLUMN code TYPE text USING lower(code);', 'type-change-rewrite'],
    ['a column whose type no migration gave is judged unknown', 'ALTER TABLE elsewhere ALTER COLUMN x TYPE text;', 'type-change-rewrite'],
    ['SET NOT NULL on an existing column', 'ALTER TABLE shop ALTER COLUMN code SET NOT NULL;', 'add-not-null'],
    ['ADD UNIQUE on an existing table builds an index', 'ALTER TABLE shop ADD UNIQUE (code);', 'index-not-concurrent'],
    ['ADD COLUMN ... REFERENCES validates at once', 'ALTER TABLE shop ADD COLUMN kind_id bigint REFERENCES shop_kind (id);', 'fk-not-valid'],
    [
      'VALIDATE in the same transaction as the NOT VALID add',
      'ALTER TABLE shop ADD CONSTRAINT q CHECK (qty > 0) NOT VALID;\nALTER TABLE shop VALIDATE CONSTRAINT q;',
      'check-not-valid',
    ],
    ['VACUUM in a transactional migration', 'VACUUM shop;', 'needs-no-transaction'],
  ])('%s', (_name, sql, rule) => {
    expect(rulesIn(sql)).toContain(rule);
  });

  it('names the file, line and column of the statement and a safer form', () => {
    // Act
    const report = lintFiles([{ path: 'shop/0001_x.sql', content: 'CREATE TABLE a (id int);\n\n  DROP TABLE b;' }], parse);
    // Assess
    expect(report.findings).toEqual([
      { rule: 'drop-table', file: 'shop/0001_x.sql', line: 3, column: 3, message: expect.stringContaining('drops table b'), suggestion: expect.stringContaining('later migration') },
    ]);
  });

  it('judges a type change by the type the migrations it depends on gave the column', () => {
    // Prepare: a/0001 sorts first but runs after b/0002, which widened the column to varchar(40)
    const files = [
      { path: 'a/0001_narrow.sql', content: '-- stagegate:depends-on b/0002_wider\nALTER TABLE t ALTER COLUMN v TYPE varchar(20);' },
      { path: 'b/0001_t.sql', content: 'CREATE TABLE t (v varchar(10));' },
      { path: 'b/0002_wider.sql', content: 'ALTER TABLE t ALTER COLUMN v TYPE varchar(40);' },
    ];
    // Act
    const report = lintFiles(files, parse);
    // Assess
    expect(report.findings.map((f) => [f.file, f.rule])).toEqual([['a/0001_narrow.sql', 'narrow-type']]);
  });

  it('checks reverse scripts for syntax and, the way their migration runs, for transactions only', () => {
    // Act
    const report = lintFiles(
      [
        { path: 'shop/0001_a.sql', content: 'CREATE TABLE a (id int);' },
        { path: 'shop/0001_a.down.sql', content: 'DROP TABLE a;\nDROP TABLE a b;' },
        { path: 'shop/0002_idx.sql', content: 'CREATE INDEX a_id ON a (id);' },
        { path: 'shop/0002_idx.down.sql', content: 'DROP INDEX CONCURRENTLY a_id;' },
        { path: 'shop/0003_cidx.sql', content: `${NO_TX}CREATE INDEX CONCURRENTLY a_id2 ON a (id);` },
        { path: 'shop/0003_cidx.down.sql', content: 'DROP INDEX CONCURRENTLY a_id2;' },
      ],
      parse,
    );
    // Assess
    expect(report.findings.map((f) => [f.file, f.rule, f.line])).toEqual([
      ['shop/0001_a.down.sql', 'syntax-error', 2],
      ['shop/0002_idx.down.sql', 'needs-no-transaction', 1],
      ['shop/0002_idx.sql', 'index-not-concurrent', 1],
    ]);
  });
});
