import { buildCatalog } from '../../lib/core/catalog';
import { SquashNotEquivalentError } from '../../lib/core/errors';
import type { SchemaObject } from '../../lib/core/schema';
import { addColumnStatement, columnDefinition, grantStatements, insertStatement, sequenceStatement, setvalStatement, tableStatements, typeStatement, viewStatement, type ColumnFacts } from '../../lib/core/squash-ddl';
import { DumpPhase, orderDump, squashDownText, squashFileText, type DumpNode } from '../../lib/core/squash-file';
import { assertEquivalent } from '../../lib/core/squash-proof';
import { planPrune } from '../../lib/core/squash-prune';
import { selectSquashRange } from '../../lib/core/squash-range';
import { SQUASH_FILES as FILES } from '../support/squash-fixtures';

const column = (overrides: Partial<ColumnFacts>): ColumnFacts => ({ name: 'c', type: 'integer', collation: null, notNull: false, identity: '', identitySequence: null, generated: '', expression: null, ...overrides });

describe('DDL text', () => {
  it('writes columns with collation, identity options, generation and defaults', () => {
    const sequence = { name: 'app.t_id_seq', type: 'bigint', start: '10', increment: '2', min: '1', max: '100', cache: '1', cycle: true };
    expect(columnDefinition(column({ name: 'id', type: 'bigint', identity: 'a', identitySequence: sequence, notNull: true }))).toBe(
      'id bigint GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME app.t_id_seq START WITH 10 INCREMENT BY 2 MINVALUE 1 MAXVALUE 100 CACHE 1 CYCLE) NOT NULL',
    );
    expect(columnDefinition(column({ name: 'code', type: 'text', collation: 'pg_catalog."C"', expression: "'x'::text" }))).toBe('code text COLLATE pg_catalog."C" DEFAULT \'x\'::text');
    expect(columnDefinition(column({ name: 'd', generated: 's', expression: '(a * 2)' }))).toBe('d integer GENERATED ALWAYS AS ((a * 2)) STORED');
    expect(addColumnStatement('app.t', column({ notNull: true, expression: '0' }))).toBe('ALTER TABLE app.t ADD COLUMN c integer DEFAULT 0 NOT NULL');
    expect(sequenceStatement(sequence)).toBe('CREATE SEQUENCE app.t_id_seq AS bigint START WITH 10 INCREMENT BY 2 MINVALUE 1 MAXVALUE 100 CACHE 1 CYCLE');
  });

  it('writes tables, types and views', () => {
    expect(tableStatements({ name: 'app.t', unlogged: true, rowSecurity: true, partitionBy: null, columns: [column({}), column({ name: 'd' })] })).toEqual([
      'CREATE UNLOGGED TABLE app.t (\n    c integer,\n    d integer\n)',
      'ALTER TABLE app.t ENABLE ROW LEVEL SECURITY',
    ]);
    expect(typeStatement({ variant: 'enum', name: 'app.mood', labels: ['ok', "it's"] })).toBe("CREATE TYPE app.mood AS ENUM ('ok', 'it''s')");
    expect(typeStatement({ variant: 'domain', name: 'app.pos', baseType: 'integer', collation: null, default: '1', notNull: true, constraints: [{ name: 'pos_check', definition: 'CHECK ((VALUE > 0))' }] })).toBe(
      'CREATE DOMAIN app.pos AS integer DEFAULT 1 NOT NULL CONSTRAINT pos_check CHECK ((VALUE > 0))',
    );
    expect(typeStatement({ variant: 'composite', name: 'app.pair', attributes: [{ name: 'a', type: 'integer', collation: null }, { name: 'b', type: 'text', collation: null }] })).toBe(
      'CREATE TYPE app.pair AS (a integer, b text)',
    );
    expect(viewStatement({ name: 'app.v', materialized: true, options: null, definition: ' SELECT 1;' })).toBe('CREATE MATERIALIZED VIEW app.v AS\n SELECT 1');
    expect(tableStatements({ name: 'app.p1', unlogged: false, rowSecurity: false, partitionBy: null, partitionOf: 'app.p', bound: 'FOR VALUES IN (1)', columns: [column({})] })).toEqual([
      'CREATE TABLE app.p1 PARTITION OF app.p FOR VALUES IN (1)',
    ]);
    expect(insertStatement('app.kind', ['id', 'name'], '[{"id":1,"name":"it\'s"}]')).toBe(
      'INSERT INTO app.kind (id, name) OVERRIDING SYSTEM VALUE SELECT id, name FROM pg_catalog.jsonb_populate_recordset(NULL::app.kind, \'[{"id":1,"name":"it\'\'s"}]\')',
    );
    expect(setvalStatement('app."Kind_seq"', '3')).toBe('SELECT pg_catalog.setval(\'app."Kind_seq"\', 3, true)');
    expect(grantStatements('ROUTINE app.f()', [{ grantee: 'api', privilege: 'EXECUTE', grantable: true }])).toEqual([
      'REVOKE ALL ON ROUTINE app.f() FROM PUBLIC',
      'GRANT EXECUTE ON ROUTINE app.f() TO api WITH GRANT OPTION',
    ]);
  });
});

const node = (key: string, phase: DumpPhase, dependsOn: string[] = []): DumpNode => ({ key, phase, statements: [`-- ${key}`], dependsOn });

describe('orderDump', () => {
  it('creates what an object needs first, otherwise by phase then key', () => {
    // Prepare
    const nodes = [
      node('view\tapp.b', DumpPhase.VIEW, ['view\tapp.c']),
      node('view\tapp.c', DumpPhase.VIEW, ['table\tapp.t']),
      node('constraint\tapp.t.fk', DumpPhase.FOREIGN_KEY, ['constraint\tapp.u.pkey']),
      node('constraint\tapp.u.pkey', DumpPhase.CONSTRAINT),
      node('table\tapp.t', DumpPhase.TABLE, ['function\tapp.f()', 'type\tapp.e']),
      node('function\tapp.g()', DumpPhase.FUNCTION, ['table\tapp.t']),
      node('function\tapp.f()', DumpPhase.FUNCTION),
      node('type\tapp.e', DumpPhase.TYPE, ['not\tdumped']),
    ];
    // Act
    const keys = orderDump(nodes).map((n) => n.key);
    // Assess
    expect(keys).toEqual(['type\tapp.e', 'function\tapp.f()', 'table\tapp.t', 'function\tapp.g()', 'constraint\tapp.u.pkey', 'constraint\tapp.t.fk', 'view\tapp.c', 'view\tapp.b']);
  });

  it('keeps nodes of a cycle, at the end', () => {
    const keys = orderDump([node('view\ta', DumpPhase.VIEW, ['view\tb']), node('view\tb', DumpPhase.VIEW, ['view\ta']), node('table\tt', DumpPhase.TABLE)]).map((n) => n.key);
    expect(keys).toEqual(['table\tt', 'view\ta', 'view\tb']);
  });
});

describe('squashFileText and squashDownText', () => {
  const catalog = buildCatalog(FILES);

  it('writes a file the catalog reads as the squash of the range, with its cross-app dependency', () => {
    // Prepare
    const selection = selectSquashRange(catalog, { app: 'shop', to: '0003' });
    // Act
    const text = squashFileText(selection, [node('table\tpublic.orders', DumpPhase.TABLE)], { generator: 'stagegate squash 9.9.9', fingerprint: 'f'.repeat(64) });
    const squash = buildCatalog([...FILES, { path: selection.file, content: text }]).find((m) => m.id === selection.squashId);
    // Assess
    expect(squash?.directives.replaces).toEqual(['shop/0001_orders', 'shop/0002_owner', 'shop/0003_items']);
    expect(squash?.directives.dependsOn).toEqual(['base/0001_account']);
    expect(squash?.directives.irreversible).toBe(true);
    expect(text).toContain('generated by stagegate squash 9.9.9');
    expect(text).toContain('-- table\tpublic.orders;');
    expect(squashDownText(selection)).toBeNull();
  });

  it('reverses a range whose migrations all have reverse scripts, last first', () => {
    const down = squashDownText(selectSquashRange(catalog, { app: 'shop', to: '0002' })) as string;
    expect(down.indexOf('ALTER TABLE orders DROP COLUMN account_id;')).toBeLessThan(down.indexOf('DROP TABLE orders;'));
  });
});

describe('assertEquivalent', () => {
  const table: SchemaObject = { kind: 'table', name: 'public.orders', definition: 'table' };
  const id: SchemaObject = { kind: 'column', name: 'public.orders.id', definition: 'integer not null' };

  it('accepts the same objects in any order', () => {
    expect(() => assertEquivalent('shop/0002_squashed_0001_0002', { objects: [table, id] }, { objects: [id, table] })).not.toThrow();
  });

  it('refuses a squash from a broken generator, showing each difference', () => {
    // Prepare: the generator lost the NOT NULL and an index.
    const index: SchemaObject = { kind: 'index', name: 'public.orders.orders_id', definition: 'CREATE INDEX orders_id ON public.orders USING btree (id)' };
    // Act
    let caught: unknown;
    try {
      assertEquivalent('shop/0002_squashed_0001_0002', { objects: [table, id, index] }, { objects: [table, { ...id, definition: 'integer' }] });
    } catch (error) {
      caught = error;
    }
    // Assess
    expect(caught).toBeInstanceOf(SquashNotEquivalentError);
    const error = caught as SquashNotEquivalentError;
    expect(error.code).toBe('SQUASH_NOT_EQUIVALENT');
    expect(error.message).toContain('column public.orders.id changed by the squash: integer not null → integer');
    expect(error.message).toContain('index public.orders.orders_id removed by the squash');
    expect(error.details.differences).toHaveLength(2);
  });

  it('refuses a squash that leaves other rows in the tables of the range', () => {
    // Prepare
    const expected = new Map([['table\tpublic.orders', '3 row(s), md5 abc']]);
    const actual = new Map([['table\tpublic.orders', '0 row(s), md5 d41d8']]);
    // Act
    const act = (): void => assertEquivalent('shop/0002_squashed_0001_0002', { objects: [table], contents: expected }, { objects: [table], contents: actual });
    // Assess
    expect(act).toThrow(SquashNotEquivalentError);
    expect(act).toThrow('contents of table public.orders: the squash gives 0 row(s), md5 d41d8, the originals 3 row(s), md5 abc');
  });
});

describe('planPrune', () => {
  const squashFile = { path: 'shop/0002_squashed_0001_0002.sql', content: '-- stagegate:replaces shop/0001_orders shop/0002_owner\nSELECT 1;' };
  const catalog = buildCatalog([...FILES, squashFile]);

  it('lists each place that has not applied the squash, or has no record', () => {
    // Act
    const plan = planPrune(catalog, 'shop', [
      { where: 'stage dev', applied: new Set(['shop/0002_squashed_0001_0002']) },
      { where: 'stage staging', applied: new Set(['shop/0001_orders']) },
      { where: 'stage production', applied: null },
    ]);
    // Assess
    expect(plan.squashes.map((s) => [s.squash.id, s.originals.map((m) => m.id)])).toEqual([['shop/0002_squashed_0001_0002', ['shop/0001_orders', 'shop/0002_owner']]]);
    expect(plan.shortfalls.map((s) => `${s.where}: ${s.reason}`)).toEqual(['stage staging: has not applied the squash', 'stage production: has no record of applied migrations']);
  });

  it('has nothing to prune once the originals are gone', () => {
    const pruned = buildCatalog([...FILES.filter((f) => !/shop\/000[12]/.test(f.path)), squashFile]);
    expect(planPrune(pruned, 'shop', [{ where: 'stage dev', applied: null }])).toEqual({ squashes: [], shortfalls: [] });
  });
});
