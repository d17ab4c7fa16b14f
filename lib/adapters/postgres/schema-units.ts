/**
 * Catalog stamps: a cheap way to know that the managed schemas have not
 * changed, without reading their definitions. Every catalog row PostgreSQL
 * writes gets a new `xmin` (the writing transaction), while statistics
 * (VACUUM, ANALYZE) are written in place and keep it; so a hash over the
 * (row, xmin) pairs of the catalog rows behind the fingerprint changes with
 * every change of schema and with nothing else. A GRANT or a TRUNCATE also
 * writes such a row: the stamp then says "maybe changed", and the full
 * comparison of definitions decides.
 *
 * Rows are grouped in units, the catalog objects whose definitions
 * `schema-objects.ts` reads: a relation (a table with its columns,
 * constraints, indexes and triggers; a view; a sequence), a type, a
 * function, a schema, an extension, a collation. A unit's stamp is the sum of
 * its rows' 64-bit hashes (a numeric: no overflow, and unlike `bit_xor` it
 * needs no PostgreSQL 14), and the stamp of the whole is the sum of the
 * units': after a run, only units whose stamp changed (and the units whose
 * definitions name them, found in `pg_depend`) are read again.
 */
import { IS_LEDGER_SCHEMA } from './ledger-schemas';

/**
 * The managed schemas, a condition on `pg_namespace` row `n`: every schema
 * but the system's own, those of `$1` (a text[]: callers pass their ledger
 * schema) and every stagegate ledger schema (another installation's, which
 * shares the database; see `ledger-schemas.ts`). The one definition behind
 * the fingerprint, the baseline, the catalog stamp and the INVALID-index check.
 */
export const MANAGED_SCHEMAS = `n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
  and n.nspname not like 'pg\\_temp\\_%' and n.nspname not like 'pg\\_toast\\_temp\\_%'
  and not (n.nspname = any($1::text[])) and not ${IS_LEDGER_SCHEMA}`;

/**
 * A unit is `kind × 2^32 + oid` (a bigint): one number per catalog object,
 * unique across catalogs. Constants of this code, spliced into SQL as numbers.
 */
export const UNIT = {
  relation: '4294967296',
  type: '8589934592',
  function: '12884901888',
  namespace: '17179869184',
  extension: '21474836480',
  collation: '25769803776',
} as const;

/** The unit of relation `c` (with `i` its pg_index row, if an index): an index is its table's, a composite type's relation its type's. */
const RELATION_UNIT = `case when c.relkind in ('i', 'I') then ${UNIT.relation} + i.indrelid::bigint
  when c.relkind = 'c' then ${UNIT.type} + c.reltype::bigint else ${UNIT.relation} + c.oid::bigint end`;

/** One hashed row: its xmin, seeded with the row's key and catalog number, so equal xmins of different rows differ. */
const h = (xmin: string, key: string, catalog: number): string => `hashxidextended(${xmin}, (${key}) * 32 + ${catalog})`;

/** One catalog's rows behind the fingerprint. */
interface Source {
  /** The catalog (and, for rows not tied to a relation, the join that keeps the managed schemas' rows). */
  from: string;
  /** The column naming the relation a row belongs to; null for rows not tied to one. */
  relation: string | null;
  hash: string;
  /** The unit of a row not tied to a relation. */
  unit?: string;
  /** Which of the catalog's rows count, for a row not tied to a relation. */
  where?: string;
  /** The relation such a row may still belong to (a table's constraint or row type), joined to `relunit` as `u`. */
  owner?: string;
  /**
   * With an owner, read in two halves when only some relations are in scope:
   * `unowned`, the condition of the rows of no relation (a domain's
   * constraint, a standalone type) and their unit; `owned`, the join that
   * finds the others from `relunit`.
   */
  unowned?: { where: string; unit: string };
  owned?: string;
}

const SOURCES: Source[] = [
  { from: 'ns', relation: null, hash: h('ns.xmin', 'ns.oid::bigint', 1), unit: `${UNIT.namespace} + ns.oid::bigint` },
  { from: 'pg_extension e', relation: null, hash: h('e.xmin', 'e.oid::bigint', 2), unit: `${UNIT.extension} + e.oid::bigint` },
  // An extension's members are left out of the fingerprint: ALTER EXTENSION … ADD or DROP changes it by writing only these rows.
  {
    from: 'pg_depend xd',
    where: "xd.refclassid = 'pg_extension'::regclass and xd.deptype = 'e'",
    relation: null,
    hash: h('xd.xmin', 'xd.classid::bigint * 4294967296 + xd.objid::bigint', 17),
    unit: `${UNIT.extension} + xd.refobjid::bigint`,
  },
  { from: 'pg_class c', relation: 'c.oid', hash: h('c.xmin', 'c.oid::bigint', 3) },
  { from: 'pg_attribute a', relation: 'a.attrelid', hash: h('a.xmin', 'a.attrelid::bigint * 65536 + a.attnum', 4) },
  { from: 'pg_attrdef ad', relation: 'ad.adrelid', hash: h('ad.xmin', 'ad.oid::bigint', 5) },
  { from: 'pg_index ix', relation: 'ix.indexrelid', hash: h('ix.xmin', 'ix.indexrelid::bigint', 7) },
  { from: 'pg_trigger tg', relation: 'tg.tgrelid', hash: h('tg.xmin', 'tg.oid::bigint', 8) },
  { from: 'pg_rewrite rw', relation: 'rw.ev_class', hash: h('rw.xmin', 'rw.oid::bigint', 9) },
  { from: 'pg_sequence s', relation: 's.seqrelid', hash: h('s.xmin', 's.seqrelid::bigint', 10) },
  { from: 'pg_inherits ih', relation: 'ih.inhrelid', hash: h('ih.xmin', 'ih.inhrelid::bigint * 65536 + ih.inhseqno', 11) },
  { from: 'pg_partitioned_table pt', relation: 'pt.partrelid', hash: h('pt.xmin', 'pt.partrelid::bigint', 12) },
  // A table's constraints and row type are its own; a domain's constraints and a standalone type are the type's.
  { from: 'pg_constraint co join ns on ns.oid = co.connamespace', relation: null, hash: h('co.xmin', 'co.oid::bigint', 6), unit: `coalesce(u.unit, ${UNIT.type} + co.contypid::bigint)`, owner: 'co.conrelid',
    unowned: { where: 'co.conrelid = 0', unit: `${UNIT.type} + co.contypid::bigint` }, owned: 'pg_constraint co join relunit u on u.oid = co.conrelid' },
  { from: 'pg_type t join ns on ns.oid = t.typnamespace', relation: null, hash: h('t.xmin', 't.oid::bigint', 13), unit: `coalesce(u.unit, ${UNIT.type} + t.oid::bigint)`, owner: 't.typrelid',
    unowned: { where: 't.typrelid = 0', unit: `${UNIT.type} + t.oid::bigint` }, owned: 'relunit u join pg_class rc on rc.oid = u.oid join pg_type t on t.oid = rc.reltype' },
  {
    from: 'pg_enum en join pg_type et on et.oid = en.enumtypid join ns on ns.oid = et.typnamespace',
    relation: null,
    hash: h('en.xmin', 'en.oid::bigint', 14),
    unit: `${UNIT.type} + en.enumtypid::bigint`,
  },
  { from: 'pg_proc p join ns on ns.oid = p.pronamespace', relation: null, hash: h('p.xmin', 'p.oid::bigint', 15), unit: `${UNIT.function} + p.oid::bigint` },
  // A function's definition names its language, which is in no schema: renaming the language writes none of its rows.
  { from: 'pg_proc p join ns on ns.oid = p.pronamespace join pg_language lg on lg.oid = p.prolang', relation: null, hash: h('lg.xmin', 'p.oid::bigint', 21), unit: `${UNIT.function} + p.oid::bigint` },
  { from: 'pg_collation cl join ns on ns.oid = cl.collnamespace', relation: null, hash: h('cl.xmin', 'cl.oid::bigint', 16), unit: `${UNIT.collation} + cl.oid::bigint` },
  // Not fingerprinted, but named by definitions that are (an index's operator class, an exclusion constraint's
  // operator, a text search configuration in an index expression): their schema's unit, so a change stores the whole baseline.
  { from: 'pg_opclass oc join ns on ns.oid = oc.opcnamespace', relation: null, hash: h('oc.xmin', 'oc.oid::bigint', 18), unit: `${UNIT.namespace} + ns.oid::bigint` },
  { from: 'pg_operator op join ns on ns.oid = op.oprnamespace', relation: null, hash: h('op.xmin', 'op.oid::bigint', 19), unit: `${UNIT.namespace} + ns.oid::bigint` },
  { from: 'pg_ts_config tc join ns on ns.oid = tc.cfgnamespace', relation: null, hash: h('tc.xmin', 'tc.oid::bigint', 20), unit: `${UNIT.namespace} + ns.oid::bigint` },
];

const whereOf = (source: Source): string => (source.where === undefined ? '' : ` where ${source.where}`);

/**
 * CTEs ending in `stamp_rows (unit, h)`: every catalog row behind the
 * fingerprint, with its unit and hash. `$1` as in {@link MANAGED_SCHEMAS}.
 * `touched`: only the relation units of the tables, views and sequences
 * whose oids are in `$2` (a bigint[]), and every unit that is not a
 * relation's (types, functions, schemas, extensions, collations: few, and
 * never locked in a way that says a run changed them).
 */
export function stampRowsCte(touched = false): string {
  const rows = SOURCES.map((source) => {
    if (source.relation !== null) return `select u.unit, ${source.hash} from ${source.from} join relunit u on u.oid = ${source.relation}`;
    if (!source.owner) return `select ${source.unit}, ${source.hash} from ${source.from}${whereOf(source)}`;
    if (!touched || !source.unowned || !source.owned) return `select ${source.unit}, ${source.hash} from ${source.from} left join relunit u on u.oid = ${source.owner}`;
    // Two halves, each read through an index: the rows of no relation, and those of the relations in scope.
    return `select ${source.unowned.unit}, ${source.hash} from ${source.from} where ${source.unowned.where}
  union all select u.unit, ${source.hash} from ${source.owned}`;
  });
  return `
ns as (select n.oid, n.xmin from pg_namespace n where ${MANAGED_SCHEMAS}),
relunit as (${touched ? TOUCHED_RELATIONS : ALL_RELATIONS}),
stamp_rows (unit, h) as (
  ${rows.join('\n  union all ')}
)`;
}

/** Every relation of the managed schemas with its unit. */
const ALL_RELATIONS = `
  select c.oid, ${RELATION_UNIT} as unit
  from pg_class c join ns on ns.oid = c.relnamespace left join pg_index i on i.indexrelid = c.oid`;

/**
 * The relations of the units in scope, looked up by oid: the tables, views
 * and sequences of `$2` with their indexes (an index only with its table),
 * and every composite type's relation (a type's unit is always in scope).
 */
const TOUCHED_RELATIONS = `
  select c.oid, ${RELATION_UNIT} as unit
  from pg_class c join ns on ns.oid = c.relnamespace left join pg_index i on i.indexrelid = c.oid
  where c.oid in (select unnest($2::bigint[])::oid union all select ix.indexrelid from pg_index ix where ix.indrelid = any($2::bigint[]::oid[]))
    and c.relkind <> 'c' and coalesce(i.indrelid, c.oid)::bigint = any($2::bigint[])
  union all
  select c.oid, ${UNIT.type} + c.reltype::bigint from pg_class c join ns on ns.oid = c.relnamespace where c.relkind = 'c'`;

/** The units {@link stampRowsCte} covers with `touched`, as a condition on `<alias>.unit`. */
export const inTouchedScope = (alias: string): string =>
  `(${alias}.unit / 4294967296 <> 1 or ${alias}.unit - ${UNIT.relation} = any($2::bigint[]))`;

/**
 * The relations this transaction holds a lock on: every table, index, view
 * and sequence a migration created, altered or dropped (PostgreSQL locks
 * each until the end of the transaction), and some it only read. A locked
 * index stands for its table too (`ALTER INDEX … RENAME` locks the index
 * alone, and an index's rows are its table's unit), and a locked table for
 * the tables its foreign keys reference (`ALTER CONSTRAINT … DEFERRABLE`
 * rewrites their triggers without locking them). A scalar subquery,
 * schema-qualified: it runs after the migration's own statements, whatever
 * `search_path` they set.
 */
export const LOCKED_RELATIONS_SQL = `select coalesce(pg_catalog.array_agg(distinct r.oid), '{}') from pg_catalog.pg_locks l
  left join pg_catalog.pg_index i on i.indexrelid = l.relation
  left join pg_catalog.pg_constraint fk on fk.conrelid = l.relation and fk.contype = 'f',
  lateral (values (l.relation::bigint), (i.indrelid::bigint), (fk.confrelid::bigint)) r (oid)
  where l.pid = pg_catalog.pg_backend_pid() and l.locktype = 'relation' and r.oid is not null
    and l.database = (select d.oid from pg_catalog.pg_database d where d.datname = pg_catalog.current_database())`;

/**
 * The stamp of the managed schemas as they are: one number, as text; the sum
 * of every unit's stamp, computed from the same rows without grouping them
 * by unit (semi-joins instead of the unit mapping: a third cheaper). `$1` as
 * in {@link MANAGED_SCHEMAS}.
 */
export const LIVE_STAMP_SQL = `with ns as (select n.oid, n.xmin from pg_namespace n where ${MANAGED_SCHEMAS}),
rel as (select c.oid from pg_class c where c.relnamespace in (select oid from ns))
select coalesce(sum(h), 0)::text from (
  ${SOURCES.map((source) =>
    // pg_class itself is filtered by its schema, without a second pass over it.
    source.relation === 'c.oid'
      ? `select ${source.hash} as h from ${source.from} where c.relnamespace in (select oid from ns)`
      : source.relation !== null
        ? `select ${source.hash} as h from ${source.from} where ${source.relation} in (select oid from rel)`
        : `select ${source.hash} as h from ${source.from}${whereOf(source)}`,
  ).join('\n  union all ')}
) s`;

/** Each unit's stamp: rows (unit, stamp). */
export const UNIT_STAMPS_SQL = `with ${stampRowsCte()} select unit, sum(h) as stamp from stamp_rows group by unit`;

/**
 * The units whose definitions name a unit of `$1` (a bigint[]): the objects
 * that depend on one of them in `pg_depend`, each mapped to its own unit.
 * A renamed column changes the text of a foreign key or a view elsewhere
 * without writing a row of theirs; `pg_depend` says which ones. A
 * relation's unit stands for the relation and its row type (a renamed table
 * changes a column of that type in another table too), a composite type's
 * for the type and its relation (a renamed field changes a view that
 * selects it), and a type for the types made of it too (a renamed enum
 * value changes the default of an enum array, range or composite).
 */
export const DEPENDENT_UNITS_SQL = `
with recursive changed as (select unnest($1::bigint[]) as unit),
refs as (
  select case unit / 4294967296 when 1 then 'pg_class'::regclass when 2 then 'pg_type'::regclass when 3 then 'pg_proc'::regclass
           when 4 then 'pg_namespace'::regclass when 5 then 'pg_extension'::regclass else 'pg_collation'::regclass end as classid,
         (unit % 4294967296)::oid as objid
  from changed
  union all
  -- A relation's row type: a column, a function or a domain elsewhere that names the table depends on it, not on the table.
  select 'pg_type'::regclass, c.reltype from changed ch join pg_class c on c.oid = (ch.unit % 4294967296)::oid
  where ch.unit / 4294967296 = 1 and c.reltype <> 0
  union all
  -- A composite type's relation: a view naming one of its fields depends on that, not on the type.
  select 'pg_class'::regclass, t.typrelid from changed ch join pg_type t on t.oid = (ch.unit % 4294967296)::oid
  where ch.unit / 4294967296 = 2 and t.typrelid <> 0
),
-- The types made of a type (its array type, a domain or range over it, a composite type with a field of it), and theirs:
-- a constant of one of them (an enum array's default '{open}') depends on that, not on the type whose value it spells.
typed_refs (classid, objid) as (
  select classid, objid from refs
  union
  select 'pg_type'::regclass, coalesce(c.reltype, d.objid) from typed_refs r
    join pg_depend d on d.refclassid = r.classid and d.refobjid = r.objid
    left join pg_class c on d.classid = 'pg_class'::regclass and c.oid = d.objid and c.relkind = 'c'
  where r.classid = 'pg_type'::regclass and (d.classid = 'pg_type'::regclass or c.oid is not null)
),
deps as (select distinct d.classid, d.objid from pg_depend d join typed_refs r on d.refclassid = r.classid and d.refobjid = r.objid)
select coalesce(array_agg(distinct unit), '{}') as units from (
  select case d.classid
    when 'pg_class'::regclass then (select ${RELATION_UNIT} from pg_class c left join pg_index i on i.indexrelid = c.oid where c.oid = d.objid)
    when 'pg_constraint'::regclass then (select case when co.conrelid <> 0 then ${UNIT.relation} + co.conrelid::bigint else ${UNIT.type} + co.contypid::bigint end
      from pg_constraint co where co.oid = d.objid)
    when 'pg_attrdef'::regclass then (select ${UNIT.relation} + ad.adrelid::bigint from pg_attrdef ad where ad.oid = d.objid)
    when 'pg_rewrite'::regclass then (select ${UNIT.relation} + rw.ev_class::bigint from pg_rewrite rw where rw.oid = d.objid)
    when 'pg_trigger'::regclass then (select ${UNIT.relation} + tg.tgrelid::bigint from pg_trigger tg where tg.oid = d.objid)
    when 'pg_type'::regclass then (select case when c.relkind is not null and c.relkind <> 'c' then ${UNIT.relation} + t.typrelid::bigint else ${UNIT.type} + t.oid::bigint end
      from pg_type t left join pg_class c on c.oid = t.typrelid where t.oid = d.objid)
    when 'pg_proc'::regclass then ${UNIT.function} + d.objid::bigint
  end as unit
  from deps d
) u where unit is not null`;
