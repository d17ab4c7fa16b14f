/**
 * The catalog queries behind `dump-objects.ts`. Each row is one object:
 * `kind` and `name` exactly as the schema fingerprint names it
 * (`schema-objects.ts`), `facts` (JSON) to write its DDL from, and `ids`:
 * the catalog identities (`pg_class:<oid>:<attnum>`) that stand for it in
 * `pg_depend`. Run with `search_path` set to `pg_catalog`, so that every
 * type and expression the server prints is qualified. `$1` is a text[] of
 * schemas to leave out (the ledger's).
 */

const MANAGED = `n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
  and n.nspname not like 'pg\\_temp\\_%' and n.nspname not like 'pg\\_toast\\_temp\\_%' and not (n.nspname = any($1::text[]))`;

const NOT_MEMBER = (classId: string, oid: string): string =>
  `not exists (select 1 from pg_depend e where e.classid = '${classId}'::regclass and e.objid = ${oid} and e.deptype = 'e')`;

const QN = (schema: string, name: string): string => `quote_ident(${schema}) || '.' || quote_ident(${name})`;

const COLLATION = (oid: string): string =>
  `(select ${QN('cn.nspname', 'co.collname')} from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace where co.oid = ${oid})`;

const SEQUENCE_FACTS = (s: string, name: string): string =>
  `jsonb_build_object('name', ${name}, 'type', format_type(${s}.seqtypid, null), 'start', ${s}.seqstart::text, 'increment', ${s}.seqincrement::text,
    'min', ${s}.seqmin::text, 'max', ${s}.seqmax::text, 'cache', ${s}.seqcache::text, 'cycle', ${s}.seqcycle)`;

/** Columns of the managed tables, with their defaults and identity sequences. */
const COLUMNS = `
select c.oid as relid, a.attnum, n.nspname, c.relname, a.attname, ad.oid as attrdef,
  jsonb_build_object('name', quote_ident(a.attname), 'type', format_type(a.atttypid, a.atttypmod),
    'collation', case when a.attcollation <> t.typcollation and a.attcollation <> 0 then ${COLLATION('a.attcollation')} end,
    'notNull', a.attnotnull, 'identity', a.attidentity::text, 'generated', a.attgenerated::text,
    'expression', pg_get_expr(ad.adbin, ad.adrelid),
    'identitySequence', (select ${SEQUENCE_FACTS('s', QN('sn.nspname', 'sc.relname'))} from pg_depend d
      join pg_sequence s on s.seqrelid = d.objid join pg_class sc on sc.oid = s.seqrelid join pg_namespace sn on sn.oid = sc.relnamespace
      where d.classid = 'pg_class'::regclass and d.refobjid = c.oid and d.refobjsubid = a.attnum and d.deptype = 'i' limit 1)) as facts,
  (select d.objid from pg_depend d join pg_sequence s on s.seqrelid = d.objid
    where d.classid = 'pg_class'::regclass and d.refobjid = c.oid and d.refobjsubid = a.attnum and d.deptype = 'i' limit 1) as identity_seq
from pg_class c join pg_namespace n on n.oid = c.relnamespace
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
join pg_type t on t.oid = a.atttypid
left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
where c.relkind in ('r', 'p') and ${MANAGED} and ${NOT_MEMBER('pg_class', 'c.oid')}`;

const ID = (classId: string, oid: string, sub = '0'): string => `'${classId}:' || ${oid}::text || ':' || ${sub}::text`;

/** Every object that the dump can create, one row each. */
export const DUMP_OBJECTS_SQL = `
with cols as (${COLUMNS})
select 'schema'::text as kind, n.nspname::text as name, jsonb_build_object('name', quote_ident(n.nspname)) as facts, array[${ID('pg_namespace', 'n.oid')}] as ids
from pg_namespace n where ${MANAGED} and n.nspname <> 'public' and ${NOT_MEMBER('pg_namespace', 'n.oid')}
union all
select 'extension', x.extname, jsonb_build_object('name', quote_ident(x.extname), 'schema', quote_ident(n.nspname)), array[${ID('pg_extension', 'x.oid')}]
from pg_extension x join pg_namespace n on n.oid = x.extnamespace where x.extname <> 'plpgsql'
union all
select 'table', n.nspname || '.' || c.relname,
  jsonb_build_object('name', ${QN('n.nspname', 'c.relname')}, 'unlogged', c.relpersistence = 'u', 'rowSecurity', c.relrowsecurity,
    'partitionBy', case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end,
    'partitionOf', (select ${QN('pn.nspname', 'pc.relname')} from pg_inherits h join pg_class pc on pc.oid = h.inhparent join pg_namespace pn on pn.oid = pc.relnamespace
      where c.relispartition and h.inhrelid = c.oid limit 1),
    'parentKey', (select 'table' || E'\\t' || pn.nspname || '.' || pc.relname from pg_inherits h join pg_class pc on pc.oid = h.inhparent join pg_namespace pn on pn.oid = pc.relnamespace
      where c.relispartition and h.inhrelid = c.oid limit 1),
    'bound', case when c.relispartition then pg_get_expr(c.relpartbound, c.oid) end,
    'columns', coalesce((select jsonb_agg(k.facts order by k.attnum) from cols k where k.relid = c.oid), '[]'::jsonb)),
  array[${ID('pg_class', 'c.oid')}, ${ID('pg_type', 'c.reltype')}, ${ID('pg_type', '(select typarray from pg_type where oid = c.reltype)')}]
from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p') and ${MANAGED} and ${NOT_MEMBER('pg_class', 'c.oid')}
union all
select 'column', k.nspname || '.' || k.relname || '.' || k.attname, jsonb_build_object('table', ${QN('k.nspname', 'k.relname')}, 'column', k.facts),
  array[${ID('pg_class', 'k.relid', 'k.attnum')}] || case when k.attrdef is null then array[]::text[] else array[${ID('pg_attrdef', 'k.attrdef')}] end
    || case when k.identity_seq is null then array[]::text[] else array[${ID('pg_class', 'k.identity_seq')}] end
from cols k
union all
select 'sequence', n.nspname || '.' || c.relname, ${SEQUENCE_FACTS('s', QN('n.nspname', 'c.relname'))}
  || jsonb_build_object('ownedBy', (select ${QN('tn.nspname', 't.relname')} || '.' || quote_ident(a.attname) from pg_depend d
    join pg_class t on t.oid = d.refobjid join pg_namespace tn on tn.oid = t.relnamespace join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
    where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.refclassid = 'pg_class'::regclass and d.deptype = 'a' and d.refobjsubid > 0 limit 1),
    'ownerKey', (select 'column' || E'\\t' || tn.nspname || '.' || t.relname || '.' || a.attname from pg_depend d
    join pg_class t on t.oid = d.refobjid join pg_namespace tn on tn.oid = t.relnamespace join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
    where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.refclassid = 'pg_class'::regclass and d.deptype = 'a' and d.refobjsubid > 0 limit 1)),
  array[${ID('pg_class', 'c.oid')}]
from pg_class c join pg_namespace n on n.oid = c.relnamespace join pg_sequence s on s.seqrelid = c.oid
where ${MANAGED} and ${NOT_MEMBER('pg_class', 'c.oid')}
  and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'i')
union all
select 'constraint', n.nspname || '.' || c.relname || '.' || co.conname,
  jsonb_build_object('table', ${QN('n.nspname', 'c.relname')}, 'name', quote_ident(co.conname), 'definition', pg_get_constraintdef(co.oid), 'foreign', co.contype = 'f'),
  array[${ID('pg_constraint', 'co.oid')}] || case when co.contype in ('p', 'u', 'x') and co.conindid <> 0 then array[${ID('pg_class', 'co.conindid')}] else array[]::text[] end
from pg_constraint co join pg_class c on c.oid = co.conrelid join pg_namespace n on n.oid = c.relnamespace
where co.contype <> 'n' and co.conparentid = 0 and ${MANAGED}
union all
select 'index', n.nspname || '.' || t.relname || '.' || i.relname,
  -- A partitioned table's index is printed ON ONLY; without ONLY the server creates each partition's copy too.
  jsonb_build_object('definition', case when i.relkind = 'I' then regexp_replace(pg_get_indexdef(i.oid), ' ON ONLY ', ' ON ') else pg_get_indexdef(i.oid) end),
  array[${ID('pg_class', 'i.oid')}]
from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid join pg_namespace n on n.oid = i.relnamespace
where ${MANAGED} and ${NOT_MEMBER('pg_class', 'i.oid')}
  and not exists (select 1 from pg_constraint co where co.conindid = x.indexrelid and co.conrelid = x.indrelid and co.contype in ('p', 'u', 'x'))
  -- A partition's copy of its parent's index is created with the parent's.
  and not exists (select 1 from pg_inherits h where h.inhrelid = i.oid)
union all
select 'view', n.nspname || '.' || c.relname,
  jsonb_build_object('name', ${QN('n.nspname', 'c.relname')}, 'materialized', c.relkind = 'm', 'options', array_to_string(c.reloptions, ', '), 'definition', pg_get_viewdef(c.oid)),
  array[${ID('pg_class', 'c.oid')}] || coalesce((select array_agg(${ID('pg_rewrite', 'r.oid')}) from pg_rewrite r where r.ev_class = c.oid), array[]::text[])
    || array[${ID('pg_type', 'c.reltype')}]
from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('v', 'm') and ${MANAGED} and ${NOT_MEMBER('pg_class', 'c.oid')}
union all
select 'type', n.nspname || '.' || t.typname,
  case t.typtype
    when 'e' then jsonb_build_object('variant', 'enum', 'name', ${QN('n.nspname', 't.typname')},
      'labels', (select jsonb_agg(e.enumlabel order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid))
    when 'd' then jsonb_build_object('variant', 'domain', 'name', ${QN('n.nspname', 't.typname')}, 'baseType', format_type(t.typbasetype, t.typtypmod),
      'collation', null, 'default', t.typdefault, 'notNull', t.typnotnull,
      'constraints', coalesce((select jsonb_agg(jsonb_build_object('name', quote_ident(c.conname), 'definition', pg_get_constraintdef(c.oid)) order by c.conname)
        from pg_constraint c where c.contypid = t.oid), '[]'::jsonb))
    else jsonb_build_object('variant', 'composite', 'name', ${QN('n.nspname', 't.typname')},
      'attributes', (select jsonb_agg(jsonb_build_object('name', quote_ident(a.attname), 'type', format_type(a.atttypid, a.atttypmod),
        'collation', case when a.attcollation <> 0 and a.attcollation <> (select typcollation from pg_type where oid = a.atttypid) then ${COLLATION('a.attcollation')} end) order by a.attnum)
        from pg_attribute a where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped)) end,
  array[${ID('pg_type', 't.oid')}, ${ID('pg_type', 't.typarray')}, ${ID('pg_class', 't.typrelid')}]
    || coalesce((select array_agg(${ID('pg_constraint', 'c.oid')}) from pg_constraint c where c.contypid = t.oid), array[]::text[])
from pg_type t join pg_namespace n on n.oid = t.typnamespace
where (t.typtype in ('e', 'd') or (t.typtype = 'c' and (select c.relkind from pg_class c where c.oid = t.typrelid) = 'c'))
  and ${MANAGED} and ${NOT_MEMBER('pg_type', 't.oid')}
union all
select 'function', n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
  jsonb_build_object('definition', case when p.prokind in ('f', 'p') then pg_get_functiondef(p.oid) end), array[${ID('pg_proc', 'p.oid')}]
from pg_proc p join pg_namespace n on n.oid = p.pronamespace where ${MANAGED} and ${NOT_MEMBER('pg_proc', 'p.oid')}
union all
select 'trigger', n.nspname || '.' || c.relname || '.' || tg.tgname, jsonb_build_object('definition', pg_get_triggerdef(tg.oid)), array[${ID('pg_trigger', 'tg.oid')}]
from pg_trigger tg join pg_class c on c.oid = tg.tgrelid join pg_namespace n on n.oid = c.relnamespace
where not tg.tgisinternal and tg.tgparentid = 0 and ${MANAGED}`;

/** Dependencies between objects: both sides as `classid:objid:objsubid`. Ownership of sequences is left to `OWNED BY`. */
export const DUMP_DEPENDENCIES_SQL = `
select d.classid::regclass::text || ':' || d.objid::text || ':' || d.objsubid::text as dependent,
  d.refclassid::regclass::text || ':' || d.refobjid::text || ':' || d.refobjsubid::text as referenced
from pg_depend d
where d.deptype in ('n', 'a')
  and not (d.classid = 'pg_class'::regclass and d.deptype = 'a' and exists (select 1 from pg_sequence s where s.seqrelid = d.objid))`;

/** Comments on the objects a dump can create: the key of the object, the `COMMENT ON` target, the text. */
export const DUMP_COMMENTS_SQL = `
select case c.relkind when 'v' then 'view' when 'm' then 'view' when 'S' then 'sequence' else 'table' end || E'\\t' || n.nspname || '.' || c.relname as key,
  case c.relkind when 'v' then 'VIEW ' when 'm' then 'MATERIALIZED VIEW ' when 'S' then 'SEQUENCE ' else 'TABLE ' end || ${QN('n.nspname', 'c.relname')} as target,
  d.description
from pg_description d join pg_class c on d.classoid = 'pg_class'::regclass and d.objoid = c.oid and d.objsubid = 0
join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p', 'v', 'm', 'S') and ${MANAGED}
union all
select 'column' || E'\\t' || n.nspname || '.' || c.relname || '.' || a.attname, 'COLUMN ' || ${QN('n.nspname', 'c.relname')} || '.' || quote_ident(a.attname), d.description
from pg_description d join pg_class c on d.classoid = 'pg_class'::regclass and d.objoid = c.oid
join pg_attribute a on a.attrelid = c.oid and a.attnum = d.objsubid join pg_namespace n on n.oid = c.relnamespace
where d.objsubid > 0 and c.relkind in ('r', 'p') and ${MANAGED}
union all
select 'type' || E'\\t' || n.nspname || '.' || t.typname, 'TYPE ' || ${QN('n.nspname', 't.typname')}, d.description
from pg_description d join pg_type t on d.classoid = 'pg_type'::regclass and d.objoid = t.oid join pg_namespace n on n.oid = t.typnamespace where ${MANAGED}
union all
select 'function' || E'\\t' || n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
  'ROUTINE ' || ${QN('n.nspname', 'p.proname')} || '(' || pg_get_function_identity_arguments(p.oid) || ')', d.description
from pg_description d join pg_proc p on d.classoid = 'pg_proc'::regclass and d.objoid = p.oid join pg_namespace n on n.oid = p.pronamespace where ${MANAGED}
union all
select 'schema' || E'\\t' || n.nspname, 'SCHEMA ' || quote_ident(n.nspname), d.description
from pg_description d join pg_namespace n on d.classoid = 'pg_namespace'::regclass and d.objoid = n.oid where ${MANAGED}
union all
select 'constraint' || E'\\t' || n.nspname || '.' || c.relname || '.' || co.conname, 'CONSTRAINT ' || quote_ident(co.conname) || ' ON ' || ${QN('n.nspname', 'c.relname')}, d.description
from pg_description d join pg_constraint co on d.classoid = 'pg_constraint'::regclass and d.objoid = co.oid
join pg_class c on c.oid = co.conrelid join pg_namespace n on n.oid = c.relnamespace where ${MANAGED}
union all
select 'index' || E'\\t' || n.nspname || '.' || t.relname || '.' || i.relname, 'INDEX ' || ${QN('n.nspname', 'i.relname')}, d.description
from pg_description d join pg_class i on d.classoid = 'pg_class'::regclass and d.objoid = i.oid and d.objsubid = 0 and i.relkind = 'i'
join pg_index x on x.indexrelid = i.oid join pg_class t on t.oid = x.indrelid join pg_namespace n on n.oid = i.relnamespace where ${MANAGED}
union all
select 'trigger' || E'\\t' || n.nspname || '.' || c.relname || '.' || tg.tgname, 'TRIGGER ' || quote_ident(tg.tgname) || ' ON ' || ${QN('n.nspname', 'c.relname')}, d.description
from pg_description d join pg_trigger tg on d.classoid = 'pg_trigger'::regclass and d.objoid = tg.oid
join pg_class c on c.oid = tg.tgrelid join pg_namespace n on n.oid = c.relnamespace where ${MANAGED}`;

/** Leaf tables (rows live in them, not in partitioned parents), by fingerprint name. */
export const DUMP_TABLES_SQL = `
select c.oid::int8::text as oid, n.nspname || '.' || c.relname as name, ${QN('n.nspname', 'c.relname')} as qn,
  (select array_agg(quote_ident(a.attname) order by a.attnum) from pg_attribute a
    where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = '') as columns
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind = 'r' and ${MANAGED} and ${NOT_MEMBER('pg_class', 'c.oid')}`;

/** Sequences that have handed out a value, with where they stand. */
export const DUMP_SEQUENCE_VALUES_SQL = `
select s.schemaname || '.' || s.sequencename as name, ${QN('s.schemaname', 's.sequencename')} as qn, s.last_value::text as last_value
from pg_sequences s join pg_namespace n on n.nspname = s.schemaname
where s.last_value is not null and ${MANAGED}`;

/** `aclexplode` entries other than the owner's own, as JSON: what GRANT gave. */
const GRANTS = (acl: string, owner: string): string =>
  `(select jsonb_agg(jsonb_build_object('grantee', case when a.grantee = 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(a.grantee)) end,
    'privilege', a.privilege_type, 'grantable', a.is_grantable) order by a.grantee, a.privilege_type) from aclexplode(${acl}) a where a.grantee <> ${owner})`;

/** An ACL in a canonical text form (entries sorted), for comparing two databases. */
const ACL_TEXT = (acl: string): string => `(select string_agg(x::text, ',' order by x::text) from unnest(${acl}) x)`;

/**
 * Objects whose privileges were set (a non-null ACL): the key of the object,
 * the target of `GRANT … ON`, the grants, and the ACL's canonical text.
 */
export const DUMP_ACLS_SQL = `
select case c.relkind when 'v' then 'view' when 'm' then 'view' when 'S' then 'sequence' else 'table' end || E'\\t' || n.nspname || '.' || c.relname as key,
  case c.relkind when 'S' then 'SEQUENCE ' else 'TABLE ' end || ${QN('n.nspname', 'c.relname')} as target,
  ${GRANTS('c.relacl', 'c.relowner')} as grants, ${ACL_TEXT('c.relacl')} as acl
from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relacl is not null and c.relkind in ('r', 'p', 'v', 'm', 'S') and ${MANAGED}
union all
select 'column' || E'\\t' || n.nspname || '.' || c.relname || '.' || a.attname, null, null, ${ACL_TEXT('a.attacl')}
from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
where a.attacl is not null and a.attnum > 0 and not a.attisdropped and ${MANAGED}
union all
select 'function' || E'\\t' || n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
  'ROUTINE ' || ${QN('n.nspname', 'p.proname')} || '(' || pg_get_function_identity_arguments(p.oid) || ')', ${GRANTS('p.proacl', 'p.proowner')}, ${ACL_TEXT('p.proacl')}
from pg_proc p join pg_namespace n on n.oid = p.pronamespace where p.proacl is not null and ${MANAGED}
union all
select 'schema' || E'\\t' || n.nspname, 'SCHEMA ' || quote_ident(n.nspname), ${GRANTS('n.nspacl', 'n.nspowner')}, ${ACL_TEXT('n.nspacl')}
from pg_namespace n where n.nspacl is not null and ${MANAGED}
union all
select 'type' || E'\\t' || n.nspname || '.' || t.typname, 'TYPE ' || ${QN('n.nspname', 't.typname')}, ${GRANTS('t.typacl', 't.typowner')}, ${ACL_TEXT('t.typacl')}
from pg_type t join pg_namespace n on n.oid = t.typnamespace where t.typacl is not null and ${MANAGED}`;
