import { buildCatalog } from '../../lib/core/catalog';
import { SquashRefusedError } from '../../lib/core/errors';
import { selectSquashRange } from '../../lib/core/squash-range';
import { findUnsquashable } from '../../lib/core/squash-statements';
import { SQUASH_FILES as FILES } from '../support/squash-fixtures';

function refusal(fn: () => unknown): SquashRefusedError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SquashRefusedError) return error;
    throw error;
  }
  throw new Error('expected SquashRefusedError');
}

describe('findUnsquashable', () => {
  it('finds data statements and statements the fingerprint cannot prove, with the line of their first word', () => {
    // Act
    const findings = findUnsquashable("CREATE TABLE t (id int);\n/* seed */\nINSERT INTO t VALUES (1);\nWITH x AS (DELETE FROM t RETURNING *) SELECT 1;\nGRANT api TO app;\nALTER TABLE t OWNER TO app;\nSELECT setval('s', 10);");
    // Assess
    expect(findings.map((f) => `${f.line} ${f.concern} ${f.what}`)).toEqual([
      '3 data INSERT INTO t',
      '4 data WITH x AS',
      '5 unproven GRANT api TO',
      '6 unproven ALTER TABLE t',
      '7 data SELECT setval(\'s\', 10)',
    ]);
    expect(findUnsquashable('CREATE TABLE c (x int) INHERITS (p);').map((f) => f.concern)).toEqual(['unproven']);
  });

  it('accepts DDL and object privileges, including functions whose bodies write rows and DO blocks that only change schema', () => {
    // Act
    const findings = findUnsquashable(
      'GRANT SELECT, INSERT ON TABLE t TO api;\nREVOKE EXECUTE ON FUNCTION f() FROM PUBLIC;\n' +
      'CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ INSERT INTO t VALUES (1) $$;\nDO $$ BEGIN EXECUTE \'CREATE TABLE u (id int)\'; END $$;\nCOMMENT ON TABLE t IS \'insert here\';\nSET LOCAL lock_timeout = 0;',
    );
    // Assess
    expect(findings).toEqual([]);
  });
});

describe('selectSquashRange', () => {
  const catalog = buildCatalog(FILES);

  it('takes the app from its first migration to --to, with the cross-app dependencies and what they need', () => {
    // Act
    const selection = selectSquashRange(catalog, { app: 'shop', to: '0003' });
    // Assess
    expect(selection.squashId).toBe('shop/0003_squashed_0001_0003');
    expect(selection.file).toBe('shop/0003_squashed_0001_0003.sql');
    expect(selection.range.map((m) => m.id)).toEqual(['shop/0001_orders', 'shop/0002_owner', 'shop/0003_items']);
    expect(selection.dependsOn).toEqual(['base/0001_account']);
    expect(selection.prerequisites.map((m) => m.id)).toEqual(['base/0001_account']);
  });

  it('needs the migrations before --from, and not the range itself', () => {
    // Act
    const selection = selectSquashRange(catalog, { app: 'shop', from: '0003', to: '0003' });
    // Assess
    expect(selection.prerequisites.map((m) => m.id)).toEqual(['base/0001_account', 'shop/0001_orders', 'shop/0002_owner']);
    expect(selection.dependsOn).toEqual([]);
  });

  it('lets data statements through with withData, and still refuses what the fingerprint cannot prove', () => {
    const error = refusal(() => selectSquashRange(catalog, { app: 'shop', from: '0004', to: '0006', withData: true }));
    expect(error.problems.map((p) => p.file)).toEqual(['shop/0005_index.sql', 'shop/0006_grant.sql']);
    expect(selectSquashRange(catalog, { app: 'shop', to: '0004', withData: true }).range).toHaveLength(4);
  });

  it('refuses data, no-transaction and unproven statements, naming file and line of each', () => {
    // Act
    const error = refusal(() => selectSquashRange(catalog, { app: 'shop', to: '0006' }));
    // Assess
    expect(error.code).toBe('SQUASH_REFUSED');
    expect(error.problems.map((p) => `${p.file}:${p.line ?? ''}`)).toEqual(['shop/0004_seed.sql:4', 'shop/0005_index.sql:', 'shop/0006_grant.sql:2']);
    expect(error.message).toContain('no-transaction');
  });

  it('refuses unknown apps and numbers, and a --from after --to', () => {
    expect(refusal(() => selectSquashRange(catalog, { app: 'nope', to: '0001' })).message).toContain('there is no app nope');
    expect(refusal(() => selectSquashRange(catalog, { app: 'shop', to: '0042' })).message).toContain('--to 0042: app shop has no migration with that number');
    expect(refusal(() => selectSquashRange(catalog, { app: 'shop', to: '3' })).message).toContain('--to must be a migration number');
    expect(refusal(() => selectSquashRange(catalog, { app: 'shop', from: '0003', to: '0002' })).message).toContain('--from 0003 comes after --to 0002');
  });

  it('refuses a range that holds a squash or a migration already replaced', () => {
    // Prepare
    const squashed = buildCatalog([...FILES, { path: 'shop/0002_squashed_0001_0002.sql', content: '-- stagegate:replaces shop/0001_orders shop/0002_owner\nSELECT 1;' }]);
    // Act
    const error = refusal(() => selectSquashRange(squashed, { app: 'shop', to: '0003' }));
    // Assess
    expect(error.message).toContain('shop/0001_orders is already replaced by shop/0002_squashed_0001_0002');
    expect(error.message).toContain('shop/0002_squashed_0001_0002 is itself a squash');
  });
});
