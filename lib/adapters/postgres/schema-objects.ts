/**
 * Reads the managed schemas' objects from the catalog: the raw material of
 * schema fingerprints (drift detection, verified adoption, squashes, the
 * stage matrix). One query; definitions come from the server's own
 * `pg_get_*def` functions, read with `search_path` set to `pg_catalog` so
 * that every name in them is schema-qualified and none depends on the
 * session. Owners, grants, data and statistics are left out: they differ
 * between stages for good reasons.
 */
import type pg from 'pg';
import type { SchemaObject } from '../../core/schema';
import { MANAGED_SCHEMAS, UNIT } from './schema-units';

/** Objects that belong to an extension are the extension's, not the migrations'. */
const NOT_EXTENSION_MEMBER = (classId: string, oid: string): string =>
  `not exists (select 1 from pg_depend d where d.classid = '${classId}'::regclass and d.objid = ${oid} and d.deptype = 'e')`;

/** The relations of the relation units in `$2` (a bigint[]): each table, view or sequence, and a table's indexes. */
const RELATIONS_OF_UNITS = `(select (u - ${UNIT.relation})::oid from unnest($2::bigint[]) u where u / 4294967296 = 1)`;

/**
 * Which rows {@link schemaObjectsSql} reads: `all`, every object; `units`,
 * those of the relations of the units in `$2` (a bigint[]; null for every
 * one) and every object that is not a relation's; `relation-units`, when
 * `$2` holds only relation units, only the relations' rows. The caller keeps
 * the rows of those units, which are the same in each.
 */
export type ObjectScope = 'all' | 'units' | 'relation-units';

/** The rows of the objects that are not a relation's: schemas, extensions, types, functions. */
const OTHER_OBJECTS = `
select 'schema'::text as kind, nspname::text as name, ''::text as definition, ${UNIT.namespace} + ns.oid::bigint as unit from ns where nspname <> 'public'
union all
select 'extension', e.extname, '', ${UNIT.extension} + e.oid::bigint from pg_extension e where e.extname <> 'plpgsql'
union all
select 'type', ns.nspname || '.' || t.typname,
  case t.typtype
    when 'e' then 'enum (' || (select string_agg(quote_literal(e.enumlabel), ', ' order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid) || ')'
    when 'd' then 'domain ' || format_type(t.typbasetype, t.typtypmod) || case when t.typnotnull then ' not null' else '' end
      || coalesce(' default ' || t.typdefault, '')
      || coalesce((select ' ' || string_agg(pg_get_constraintdef(c.oid), ' ' order by c.conname) from pg_constraint c where c.contypid = t.oid), '')
    when 'c' then 'composite (' || (select string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' order by a.attnum)
      from pg_attribute a where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped) || ')'
    else 'type ' || t.typtype::text end,
  ${UNIT.type} + t.oid::bigint
from pg_type t join ns on ns.oid = t.typnamespace
where (t.typtype in ('e', 'd') or (t.typtype = 'c' and t.typrelid in (select c.oid from pg_class c where c.relkind = 'c')))
  and ${NOT_EXTENSION_MEMBER('pg_type', 't.oid')}
union all
select 'function', ns.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
  case when p.prokind in ('f', 'p') then pg_get_functiondef(p.oid) else 'aggregate' end, ${UNIT.function} + p.oid::bigint
from pg_proc p join ns on ns.oid = p.pronamespace
where ${NOT_EXTENSION_MEMBER('pg_proc', 'p.oid')}`;

/**
 * The query of `scope` (see {@link ObjectScope}): rows of (kind, name,
 * definition, unit). `$1` is a text[] of schema names to leave out. Each
 * branch is one kind; see `ObjectKind`. `unit` is the catalog object a row
 * is read from (see `schema-units.ts`): a table's columns, constraints,
 * indexes and triggers are the table's unit. A narrower scope finds the
 * relations of `$2` by oid.
 *
 * @example
 * await client.query(`select * from (${schemaObjectsSql('relation-units')}) o where unit = any($2::bigint[])`, [['stagegate'], units]);
 */
export function schemaObjectsSql(scope: ObjectScope): string {
  const inUnits =
    scope === 'all' ? '' : `and ($2::bigint[] is null or c.oid in (${RELATIONS_OF_UNITS} union all select ix.indexrelid from pg_index ix where ix.indrelid in ${RELATIONS_OF_UNITS}))`;
  return `
with ns as (
  select n.oid, n.nspname from pg_namespace n where ${MANAGED_SCHEMAS}
    and ${NOT_EXTENSION_MEMBER('pg_namespace', 'n.oid')}
),
rel as (
  select c.oid, c.relname, c.relkind, c.relpersistence, c.relrowsecurity, c.relispartition, ns.nspname
  from pg_class c join ns on ns.oid = c.relnamespace
  where ${NOT_EXTENSION_MEMBER('pg_class', 'c.oid')} ${inUnits}
)
select 'table'::text as kind, (r.nspname || '.' || r.relname)::text as name,
  case r.relkind when 'p' then 'partitioned table' else 'table' end
  || case r.relpersistence when 'u' then ' unlogged' else '' end
  || case when r.relrowsecurity then ' row level security' else '' end
  || case when r.relkind = 'p' then ' partition by ' || pg_get_partkeydef(r.oid) else '' end
  || case when r.relispartition then ' partition of ' || (select i.inhparent::regclass::text from pg_inherits i where i.inhrelid = r.oid limit 1)
       || ' ' || pg_get_expr((select c2.relpartbound from pg_class c2 where c2.oid = r.oid), r.oid) else '' end as definition,
  ${UNIT.relation} + r.oid::bigint as unit
from rel r where r.relkind in ('r', 'p')
union all
select 'column', r.nspname || '.' || r.relname || '.' || a.attname,
  format_type(a.atttypid, a.atttypmod)
  || case when a.attcollation <> t.typcollation and a.attcollation <> 0 then ' collate ' || (select co.collname from pg_collation co where co.oid = a.attcollation) else '' end
  || case when a.attnotnull then ' not null' else '' end
  || case when a.attidentity = 'a' then ' generated always as identity'
          when a.attidentity = 'd' then ' generated by default as identity' else '' end
  || case when a.attgenerated = 's' then ' generated always as (' || pg_get_expr(ad.adbin, ad.adrelid) || ') stored'
          when ad.adbin is not null then ' default ' || pg_get_expr(ad.adbin, ad.adrelid) else '' end,
  ${UNIT.relation} + r.oid::bigint
from rel r
join pg_attribute a on a.attrelid = r.oid and a.attnum > 0 and not a.attisdropped
join pg_type t on t.oid = a.atttypid
left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
where r.relkind in ('r', 'p')
union all
select 'constraint', r.nspname || '.' || r.relname || '.' || co.conname, pg_get_constraintdef(co.oid), ${UNIT.relation} + r.oid::bigint
from pg_constraint co join rel r on r.oid = co.conrelid
where co.contype <> 'n' and co.conparentid = 0
union all
-- An index a failed CREATE INDEX CONCURRENTLY left behind reads like a good one; it is not (nothing uses it).
select 'index', r.nspname || '.' || t.relname || '.' || r.relname,
  pg_get_indexdef(r.oid) || case when i.indisvalid then '' else ' INVALID' end, ${UNIT.relation} + i.indrelid::bigint
from rel r join pg_index i on i.indexrelid = r.oid join pg_class t on t.oid = i.indrelid
where r.relkind in ('i', 'I')
union all
select 'view', r.nspname || '.' || r.relname,
  case r.relkind when 'm' then 'materialized view as ' else 'view as ' end || pg_get_viewdef(r.oid), ${UNIT.relation} + r.oid::bigint
from rel r where r.relkind in ('v', 'm')
union all
select 'sequence', r.nspname || '.' || r.relname,
  format_type(s.seqtypid, null) || ' start ' || s.seqstart || ' increment ' || s.seqincrement
  || ' min ' || s.seqmin || ' max ' || s.seqmax || ' cache ' || s.seqcache || case when s.seqcycle then ' cycle' else '' end,
  ${UNIT.relation} + r.oid::bigint
from rel r join pg_sequence s on s.seqrelid = r.oid
union all
select 'trigger', r.nspname || '.' || r.relname || '.' || tg.tgname, pg_get_triggerdef(tg.oid), ${UNIT.relation} + r.oid::bigint
from pg_trigger tg join rel r on r.oid = tg.tgrelid
where not tg.tgisinternal and tg.tgparentid = 0${scope === 'relation-units' ? '' : `
union all${OTHER_OBJECTS}`}`;
}

/** {@link schemaObjectsSql} of every object. */
export const SCHEMA_OBJECTS_SQL = schemaObjectsSql('all');

/**
 * The canonical hash (see `schemaHash` in core) of the rows (kind, name,
 * definition) of `rowsSql`, computed on the server: of the live objects, or
 * of a stored baseline.
 *
 * @example
 * await client.query(schemaHashSql('select kind, name, definition from "stagegate".schema_objects'));
 */
export function schemaHashSql(rowsSql: string): string {
  return `
select encode(sha256(convert_to(coalesce(string_agg(line, E'\\n' order by line collate "C"), ''), 'UTF8')), 'hex') as hash
from (select kind || E'\\t' || name || E'\\t' || definition as line from (${rowsSql}) o) lines`;
}

const SCHEMA_HASH_SQL = schemaHashSql(SCHEMA_OBJECTS_SQL);

/**
 * The settings that change how definitions are written out: constants in
 * defaults, checks and views are printed with the session's date style,
 * time zone and the like. A migration's `SET TIME ZONE` would otherwise
 * store another wording than a later session reads.
 */
const OUTPUT_SETTINGS = ['datestyle', 'intervalstyle', 'timezone', 'extra_float_digits', 'bytea_output', 'quote_all_identifiers', 'standard_conforming_strings', 'lc_monetary'];

/**
 * Sets `search_path` to `pg_catalog` and the output settings to the values
 * the session started with, and returns the previous values. `local`: for
 * the transaction only, so that its commit or rollback puts them back.
 *
 * @example
 * await client.query(catalogSettings(true)); // inside a transaction
 */
export function catalogSettings(local: boolean): pg.QueryConfig {
  return {
    text: `select s.name, pg_catalog.current_setting(s.name) as value,
            pg_catalog.set_config(s.name, case s.name when 'search_path' then 'pg_catalog' else s.reset_val end, ${local})
       from pg_catalog.pg_settings s where pg_catalog.lower(s.name) = any($1::text[])`,
    values: [['search_path', ...OUTPUT_SETTINGS]],
  };
}

/**
 * Runs `fn` with `search_path` set to `pg_catalog` for this session, and the
 * settings that shape how values are printed as they were when the session
 * started (whatever a migration `SET` since), and puts the previous values
 * back afterwards. Inside a transaction that fails, the rollback restores
 * them. Every query using `SCHEMA_OBJECTS_SQL` runs in it.
 *
 * @example
 * await withCatalogSearchPath(client, () => client.query(`select count(*) from (${SCHEMA_OBJECTS_SQL}) o`, [['stagegate']]));
 */
export async function withCatalogSearchPath<T>(client: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  const saved = await client.query<{ name: string; value: string }>(catalogSettings(false));
  try {
    return await fn();
  } finally {
    await client
      .query('select pg_catalog.set_config(v.name, v.value, false) from unnest($1::text[], $2::text[]) v (name, value)', [saved.rows.map((r) => r.name), saved.rows.map((r) => r.value)])
      .catch(() => undefined);
  }
}

/**
 * Every object of the managed schemas: all schemas but the system's,
 * `excludeSchemas` (pass the ledger schema) and every other stagegate
 * ledger's (see `MANAGED_SCHEMAS`), objects of extensions left out.
 * Sorted by kind and name.
 *
 * @example
 * const objects = await readSchemaObjects(client, ['stagegate']);
 */
export async function readSchemaObjects(client: pg.ClientBase, excludeSchemas: readonly string[]): Promise<SchemaObject[]> {
  return withCatalogSearchPath(client, async () => {
    const result = await client.query<SchemaObject>(`select kind, name, definition from (${SCHEMA_OBJECTS_SQL}) o order by kind collate "C", name collate "C"`, [
      [...excludeSchemas],
    ]);
    return result.rows;
  });
}

/**
 * The sha256 (hex) of the managed schemas' objects, computed on the server
 * without sending them: equal to `schemaHash(await readSchemaObjects(...))`.
 *
 * @example
 * const hash = await readSchemaHash(client, ['stagegate']); // → 'e3b0c442…'
 */
export async function readSchemaHash(client: pg.ClientBase, excludeSchemas: readonly string[]): Promise<string> {
  return withCatalogSearchPath(client, async () => {
    const result = await client.query<{ hash: string }>(SCHEMA_HASH_SQL, [[...excludeSchemas]]);
    return result.rows[0]?.hash ?? '';
  });
}
