/**
 * Telling a stagegate ledger schema from a schema of the application. Two
 * installations may share one database, each with its own ledger schema
 * (`--schema svc_a`, `--schema svc_b`): each must leave the other's ledger
 * out of what it fingerprints, or the other's ledger DDL (creating it,
 * upgrading its tables) reads as drift. Catalog only, never the ledger's
 * rows: another installation's tables may not be readable.
 */

/**
 * The comment stagegate writes on a ledger's `migrations` table (see
 * `ledger.ts`): the mark a ledger carries whatever its tables look like in a
 * later version. On the table, not on the schema: the schema may belong to
 * another role (made by hand beforehand), the table is stagegate's own.
 */
export const LEDGER_MARK = 'stagegate ledger';

/**
 * The columns every ledger of version 1 has in its `migrations` table since
 * the first one (revisions add columns to other tables only): a ledger made
 * before the mark existed carries them all, beside tables `runs` and `meta`.
 * Eleven names of this code's choosing: no schema of an application has
 * them by accident.
 */
const LEDGER_COLUMNS = ['id', 'checksum', 'state', 'method', 'applied_at', 'duration_ms', 'bundle_id', 'run_id', 'applied_by', 'db_user', 'error'];

/** The relations a ledger makes: its tables, and the sequence of `runs.id`. */
const LEDGER_RELATIONS = ['migrations', 'runs', 'meta', 'schema_objects', 'schema_units', 'runs_id_seq'];

/**
 * Schema `n` holds nothing but a ledger: no table, view, sequence, function
 * or type of its own beside the ledger's (`--schema public` puts a ledger
 * next to an application's objects). Only such a schema is left out whole;
 * one that holds more stays managed, its ledger's tables included: a
 * difference there is seen and can be accepted, where leaving the schema
 * out would hide every change to the application's objects in it.
 */
const ONLY_LEDGER = `not exists (select 1 from pg_catalog.pg_class o where o.relnamespace = n.oid and o.relkind in ('r', 'p', 'v', 'm', 'f', 'S', 'c')
        and o.relname <> all ('{${LEDGER_RELATIONS.join(',')}}'::pg_catalog.name[]))
      and not exists (select 1 from pg_catalog.pg_proc p where p.pronamespace = n.oid)
      and not exists (select 1 from pg_catalog.pg_type ty where ty.typnamespace = n.oid and ty.typrelid = 0 and ty.typelem = 0)`;

/**
 * True for schema `n` (a `pg_namespace` row) when it is a stagegate ledger:
 * it holds a table `migrations` that carries {@link LEDGER_MARK}, or the
 * ledger's columns beside tables `runs` and `meta`, and nothing else
 * ({@link ONLY_LEDGER}). A few lookups per schema, none per object: the
 * callers test it once per `pg_namespace` row.
 * Names are schema-qualified: it runs under any `search_path`.
 *
 * @example
 * await client.query(`select n.nspname from pg_catalog.pg_namespace n where ${IS_LEDGER_SCHEMA}`);
 */
export const IS_LEDGER_SCHEMA = `exists (
    select 1 from pg_catalog.pg_class lm where lm.relnamespace = n.oid and lm.relname = 'migrations' and lm.relkind = 'r'
      and (exists (select 1 from pg_catalog.pg_description ld
                    where ld.objoid = lm.oid and ld.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass and ld.objsubid = 0
                      and pg_catalog.starts_with(ld.description, '${LEDGER_MARK}'))
        or ((select pg_catalog.count(*) from pg_catalog.pg_attribute la
              where la.attrelid = lm.oid and la.attnum > 0 and not la.attisdropped
                and la.attname = any ('{${LEDGER_COLUMNS.join(',')}}'::pg_catalog.name[])) = ${LEDGER_COLUMNS.length}
          and (select pg_catalog.count(*) from pg_catalog.pg_class lt
                where lt.relnamespace = n.oid and lt.relname in ('runs', 'meta') and lt.relkind = 'r') = 2))
      and ${ONLY_LEDGER})`;

/**
 * The names of every ledger schema of the database, as rows `(nspname)`.
 *
 * @example
 * await client.query(`select count(*) from (${LEDGER_SCHEMA_NAMES_SQL}) l`);
 */
export const LEDGER_SCHEMA_NAMES_SQL = `select n.nspname from pg_catalog.pg_namespace n where ${IS_LEDGER_SCHEMA}`;
