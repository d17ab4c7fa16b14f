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
 * function, a schema, an extension, a collation. A unit's stamp is the XOR of
 * its rows' 64-bit hashes, and the stamp of the whole is the XOR of the
 * units': after a run, only units whose stamp changed (and the units whose
 * definitions name them, found in `pg_depend`) are read again.
 */

/**
 * Schemas never fingerprinted: the system's own. Callers add the ledger
 * schema (and any other they exclude) through `$1`, a text[].
 */
export const SYSTEM_SCHEMAS = `n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
  and n.nspname not like 'pg\\_temp\\_%' and n.nspname not like 'pg\\_toast\\_temp\\_%'
  and not (n.nspname = any($1::text[]))`;

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

/**
 * CTEs ending in `stamp_rows (unit, h)`: every catalog row behind the
 * fingerprint, with its unit and hash. `$1` as in {@link SYSTEM_SCHEMAS}.
 */
export const STAMP_ROWS_CTE = `
ns as (select n.oid, n.xmin from pg_namespace n where ${SYSTEM_SCHEMAS}),
relunit as (
  select c.oid, c.xmin, ${RELATION_UNIT} as unit
  from pg_class c join ns on ns.oid = c.relnamespace left join pg_index i on i.indexrelid = c.oid
),
stamp_rows (unit, h) as (
  select ${UNIT.namespace} + ns.oid::bigint, ${h('ns.xmin', 'ns.oid::bigint', 1)} from ns
  union all select ${UNIT.extension} + e.oid::bigint, ${h('e.xmin', 'e.oid::bigint', 2)} from pg_extension e
  union all select u.unit, ${h('u.xmin', 'u.oid::bigint', 3)} from relunit u
  union all select u.unit, ${h('a.xmin', 'a.attrelid::bigint * 65536 + a.attnum', 4)} from pg_attribute a join relunit u on u.oid = a.attrelid where a.attnum > 0
  union all select u.unit, ${h('ad.xmin', 'ad.oid::bigint', 5)} from pg_attrdef ad join relunit u on u.oid = ad.adrelid
  union all select coalesce(u.unit, ${UNIT.type} + co.contypid::bigint), ${h('co.xmin', 'co.oid::bigint', 6)}
    from pg_constraint co join ns on ns.oid = co.connamespace left join relunit u on u.oid = co.conrelid
  union all select u.unit, ${h('i.xmin', 'i.indexrelid::bigint', 7)} from pg_index i join relunit u on u.oid = i.indexrelid
  union all select u.unit, ${h('tg.xmin', 'tg.oid::bigint', 8)} from pg_trigger tg join relunit u on u.oid = tg.tgrelid
  union all select u.unit, ${h('rw.xmin', 'rw.oid::bigint', 9)} from pg_rewrite rw join relunit u on u.oid = rw.ev_class
  union all select u.unit, ${h('s.xmin', 's.seqrelid::bigint', 10)} from pg_sequence s join relunit u on u.oid = s.seqrelid
  union all select u.unit, ${h('ih.xmin', 'ih.inhrelid::bigint * 65536 + ih.inhseqno', 11)} from pg_inherits ih join relunit u on u.oid = ih.inhrelid
  union all select u.unit, ${h('pt.xmin', 'pt.partrelid::bigint', 12)} from pg_partitioned_table pt join relunit u on u.oid = pt.partrelid
  union all select coalesce(u.unit, ${UNIT.type} + t.oid::bigint), ${h('t.xmin', 't.oid::bigint', 13)}
    from pg_type t join ns on ns.oid = t.typnamespace left join relunit u on u.oid = t.typrelid
  union all select ${UNIT.type} + en.enumtypid::bigint, ${h('en.xmin', 'en.oid::bigint', 14)}
    from pg_enum en join pg_type t on t.oid = en.enumtypid join ns on ns.oid = t.typnamespace
  union all select ${UNIT.function} + p.oid::bigint, ${h('p.xmin', 'p.oid::bigint', 15)} from pg_proc p join ns on ns.oid = p.pronamespace
  union all select ${UNIT.collation} + co.oid::bigint, ${h('co.xmin', 'co.oid::bigint', 16)} from pg_collation co join ns on ns.oid = co.collnamespace
)`;

/** The stamp of the managed schemas as they are: one bigint, as text. `$1` as in {@link SYSTEM_SCHEMAS}. */
export const LIVE_STAMP_SQL = `with ${STAMP_ROWS_CTE} select coalesce(bit_xor(h), 0)::text from stamp_rows`;

/** Each unit's stamp: rows (unit, stamp). */
export const UNIT_STAMPS_SQL = `with ${STAMP_ROWS_CTE} select unit, bit_xor(h) as stamp from stamp_rows group by unit`;

/**
 * The units whose definitions name a unit of `$1` (a bigint[]): the objects
 * that depend on one of them in `pg_depend`, each mapped to its own unit.
 * A renamed column changes the text of a foreign key or a view elsewhere
 * without writing a row of theirs; `pg_depend` says which ones.
 */
export const DEPENDENT_UNITS_SQL = `
with changed as (select unnest($1::bigint[]) as unit),
refs as (
  select case unit / 4294967296 when 1 then 'pg_class'::regclass when 2 then 'pg_type'::regclass when 3 then 'pg_proc'::regclass
           when 4 then 'pg_namespace'::regclass when 5 then 'pg_extension'::regclass else 'pg_collation'::regclass end as classid,
         (unit % 4294967296)::oid as objid
  from changed
),
deps as (select distinct d.classid, d.objid from pg_depend d join refs r on d.refclassid = r.classid and d.refobjid = r.objid)
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
