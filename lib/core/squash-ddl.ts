/**
 * The DDL text of one catalog object, from facts the Postgres adapter read
 * (`adapters/postgres/dump-objects.ts`). Pure: names arrive quoted by the
 * server (`quote_ident`), expressions and types as the server prints them
 * with `search_path` set to `pg_catalog`, so every reference is qualified.
 */

/** A sequence's options, as `pg_sequence` has them. */
export interface SequenceFacts {
  /** Qualified, quoted name: `app.org_id_seq`. */
  name: string;
  type: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
}

/** One column of a table. */
export interface ColumnFacts {
  /** Quoted column name. */
  name: string;
  /** `format_type` of the column. */
  type: string;
  /** Qualified, quoted collation when it is not the type's default. */
  collation: string | null;
  notNull: boolean;
  /** `a` (always), `d` (by default) or '' (not an identity column). */
  identity: 'a' | 'd' | '';
  /** The identity column's sequence. */
  identitySequence: SequenceFacts | null;
  /** `s` (stored), `v` (virtual) or '' (not generated). */
  generated: 's' | 'v' | '';
  /** The default or generation expression. */
  expression: string | null;
}

export interface TableFacts {
  /** Qualified, quoted name. */
  name: string;
  unlogged: boolean;
  rowSecurity: boolean;
  /** `pg_get_partkeydef` of a partitioned table. */
  partitionBy: string | null;
  /** The parent of a partition (qualified, quoted), with its bound (`FOR VALUES …`). */
  partitionOf?: string | null;
  bound?: string | null;
  columns: ColumnFacts[];
}

/** A type the migrations created. */
export type TypeFacts =
  | { variant: 'enum'; name: string; labels: string[] }
  | { variant: 'domain'; name: string; baseType: string; collation: string | null; default: string | null; notNull: boolean; constraints: { name: string; definition: string }[] }
  | { variant: 'composite'; name: string; attributes: { name: string; type: string; collation: string | null }[] };

/** A string as an SQL literal (standard_conforming_strings, on since PostgreSQL 9.1). */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function sequenceOptions(s: SequenceFacts): string {
  return `START WITH ${s.start} INCREMENT BY ${s.increment} MINVALUE ${s.min} MAXVALUE ${s.max} CACHE ${s.cache}${s.cycle ? ' CYCLE' : ' NO CYCLE'}`;
}

/**
 * `CREATE SEQUENCE` with every option spelled out, so nothing depends on defaults.
 *
 * @example
 * sequenceStatement({ name: 'app.n', type: 'bigint', start: '1', increment: '1', min: '1', max: '9223372036854775807', cache: '1', cycle: false });
 * // 'CREATE SEQUENCE app.n AS bigint START WITH 1 INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 CACHE 1 NO CYCLE'
 */
export function sequenceStatement(s: SequenceFacts): string {
  return `CREATE SEQUENCE ${s.name} AS ${s.type} ${sequenceOptions(s)}`;
}

/**
 * One column as it appears in `CREATE TABLE` or `ADD COLUMN`.
 *
 * @example
 * columnDefinition({ name: 'id', type: 'bigint', collation: null, notNull: true, identity: 'a', identitySequence: null, generated: '', expression: null });
 * // 'id bigint GENERATED ALWAYS AS IDENTITY NOT NULL'
 */
export function columnDefinition(c: ColumnFacts): string {
  const parts = [c.name, c.type];
  if (c.collation) parts.push(`COLLATE ${c.collation}`);
  if (c.identity !== '') {
    const options = c.identitySequence ? ` (SEQUENCE NAME ${c.identitySequence.name} ${sequenceOptions(c.identitySequence)})` : '';
    parts.push(`GENERATED ${c.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY${options}`);
  } else if (c.generated !== '' && c.expression !== null) {
    parts.push(`GENERATED ALWAYS AS (${c.expression}) ${c.generated === 's' ? 'STORED' : 'VIRTUAL'}`);
  } else if (c.expression !== null) {
    parts.push(`DEFAULT ${c.expression}`);
  }
  if (c.notNull) parts.push('NOT NULL');
  return parts.join(' ');
}

/**
 * `CREATE TABLE` with its columns, then what the statement cannot say
 * (row level security). Constraints and indexes are separate statements.
 *
 * @example
 * tableStatements({ name: 'app.org', unlogged: false, rowSecurity: false, partitionBy: null, columns: [] });
 * // ['CREATE TABLE app.org (\n\n)']
 */
export function tableStatements(t: TableFacts): string[] {
  const columns = t.columns.map((c) => `    ${columnDefinition(c)}`).join(',\n');
  // A partition takes its columns from its parent.
  const body = t.partitionOf ? `PARTITION OF ${t.partitionOf} ${t.bound ?? 'DEFAULT'}` : `(\n${columns}\n)`;
  const create = `CREATE ${t.unlogged ? 'UNLOGGED ' : ''}TABLE ${t.name} ${body}${t.partitionBy ? ` PARTITION BY ${t.partitionBy}` : ''}`;
  return t.rowSecurity ? [create, `ALTER TABLE ${t.name} ENABLE ROW LEVEL SECURITY`] : [create];
}

/**
 * A column the range added to a table created before it.
 *
 * @example
 * addColumnStatement('app.org', column); // 'ALTER TABLE app.org ADD COLUMN type_id integer'
 */
export function addColumnStatement(table: string, column: ColumnFacts): string {
  return `ALTER TABLE ${table} ADD COLUMN ${columnDefinition(column)}`;
}

/**
 * `CREATE TYPE` (enum, composite) or `CREATE DOMAIN`.
 *
 * @example
 * typeStatement({ variant: 'enum', name: 'app.mood', labels: ['ok', "it's"] }); // "CREATE TYPE app.mood AS ENUM ('ok', 'it''s')"
 */
export function typeStatement(t: TypeFacts): string {
  if (t.variant === 'enum') return `CREATE TYPE ${t.name} AS ENUM (${t.labels.map(literal).join(', ')})`;
  if (t.variant === 'composite') {
    return `CREATE TYPE ${t.name} AS (${t.attributes.map((a) => `${a.name} ${a.type}${a.collation ? ` COLLATE ${a.collation}` : ''}`).join(', ')})`;
  }
  const parts = [`CREATE DOMAIN ${t.name} AS ${t.baseType}`];
  if (t.collation) parts.push(`COLLATE ${t.collation}`);
  if (t.default !== null) parts.push(`DEFAULT ${t.default}`);
  // Before PostgreSQL 17 a domain's NOT NULL is a flag, not a constraint.
  if (t.notNull && !t.constraints.some((c) => c.definition === 'NOT NULL')) parts.push('NOT NULL');
  for (const c of t.constraints) parts.push(`CONSTRAINT ${c.name} ${c.definition}`);
  return parts.join(' ');
}

/**
 * A table constraint from `pg_get_constraintdef`.
 *
 * @example
 * constraintStatement('app.org', 'org_pkey', 'PRIMARY KEY (id)'); // 'ALTER TABLE app.org ADD CONSTRAINT org_pkey PRIMARY KEY (id)'
 */
export function constraintStatement(table: string, name: string, definition: string): string {
  return `ALTER TABLE ${table} ADD CONSTRAINT ${name} ${definition}`;
}

/**
 * `COMMENT ON <target> IS '<text>'`; `target` is e.g. `TABLE app.org` or `COLUMN app.org.name`.
 *
 * @example
 * commentStatement('TABLE app.org', 'Organizations'); // "COMMENT ON TABLE app.org IS 'Organizations'"
 */
export function commentStatement(target: string, text: string): string {
  return `COMMENT ON ${target} IS ${literal(text)}`;
}

/**
 * `CREATE [MATERIALIZED] VIEW` from `pg_get_viewdef`.
 *
 * @example
 * viewStatement({ name: 'app.names', materialized: false, options: null, definition: ' SELECT org.name FROM app.org;' });
 * // 'CREATE VIEW app.names AS\n SELECT org.name FROM app.org'
 */
export function viewStatement(v: { name: string; materialized: boolean; options: string | null; definition: string }): string {
  const body = v.definition.trimEnd().replace(/;$/, '');
  return `CREATE ${v.materialized ? 'MATERIALIZED ' : ''}VIEW ${v.name}${v.options ? ` WITH (${v.options})` : ''} AS\n${body}`;
}

/**
 * Rows of a table as one `INSERT`: the rows travel as a JSON literal and are
 * turned back into the table's row type by the server, so every type
 * round-trips without client-side formatting. Generated columns are left out
 * (the server computes them); identity columns keep their values.
 *
 * @example
 * insertStatement('app.kind', ['id', 'name'], '[{"id":1,"name":"company"}]');
 * // "INSERT INTO app.kind (id, name) OVERRIDING SYSTEM VALUE SELECT id, name FROM pg_catalog.jsonb_populate_recordset(NULL::app.kind, '[…]')"
 */
export function insertStatement(table: string, columns: readonly string[], rowsJson: string): string {
  const list = columns.join(', ');
  return `INSERT INTO ${table} (${list}) OVERRIDING SYSTEM VALUE SELECT ${list} FROM pg_catalog.jsonb_populate_recordset(NULL::${table}, ${literal(rowsJson)})`;
}

/**
 * Puts a sequence where the range left it.
 *
 * @example
 * setvalStatement('app.kind_id_seq', '3'); // "SELECT pg_catalog.setval('app.kind_id_seq', 3, true)"
 */
export function setvalStatement(sequence: string, lastValue: string): string {
  return `SELECT pg_catalog.setval(${literal(sequence)}, ${lastValue}, true)`;
}

/** One privilege an object's ACL gives to someone other than its owner. */
export interface GrantFacts {
  /** A quoted role name, or `PUBLIC`. */
  grantee: string;
  /** `SELECT`, `USAGE`, `EXECUTE`… */
  privilege: string;
  grantable: boolean;
}

/**
 * The privileges of an object whose ACL was set: `REVOKE ALL … FROM PUBLIC`
 * (which also takes away PUBLIC's default `EXECUTE` or `USAGE`), then each
 * grant. The owner's own privileges stay as they are.
 *
 * @example
 * grantStatements('TABLE app.org', [{ grantee: 'api', privilege: 'SELECT', grantable: false }]);
 * // ['REVOKE ALL ON TABLE app.org FROM PUBLIC', 'GRANT SELECT ON TABLE app.org TO api']
 */
export function grantStatements(target: string, grants: readonly GrantFacts[]): string[] {
  return [`REVOKE ALL ON ${target} FROM PUBLIC`, ...grants.map((g) => `GRANT ${g.privilege} ON ${target} TO ${g.grantee}${g.grantable ? ' WITH GRANT OPTION' : ''}`)];
}
