/**
 * Facts about the live database after a migration failed: catalog queries
 * with bound parameters, and counts (never row values). They run after the
 * failed work was rolled back (to its savepoint in a rehearsal), with short
 * timeouts of their own, and are best effort: a fact that cannot be had is
 * left out, and never hides the failure itself.
 */
import pg from 'pg';
import { subjectOf, type FailureSubject, type LiveColumn, type LiveFacts, type LiveRelation, type LockHolder, type QualifiedName } from '../../core/failure-subject';
import type { MigrationFailedError } from '../../core/errors';

/** Limits on the fact queries: a count over a big table must not hold up the report. */
const FACTS_STATEMENT_TIMEOUT = '5s';
const FACTS_LOCK_TIMEOUT = '1s';
/** Columns listed per relation; the rest are counted. */
const MAX_COLUMNS = 30;

const KINDS: Record<string, string> = {
  r: 'table', p: 'partitioned table', v: 'view', m: 'materialized view', i: 'index', I: 'partitioned index', S: 'sequence', f: 'foreign table', c: 'composite type', t: 'TOAST table',
};

interface FoundRelation extends LiveRelation {
  oid: number;
}

async function findRelation(client: pg.Client, name: QualifiedName): Promise<FoundRelation | null> {
  const found = await client.query<{ oid: number; schema: string; name: string; kind: string }>(
    `select c.oid::int8 as oid, n.nspname as schema, c.relname as name, c.relkind::text as kind
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relname = $1 and case when $2::text is null then pg_table_is_visible(c.oid) else n.nspname = $2 end
      limit 1`,
    [name.name, name.schema],
  );
  const row = found.rows[0];
  if (!row) return null;
  // A sequence's "columns" are its own state (last_value, is_called), not a schema anyone wrote.
  if (row.kind === 'S') return { oid: Number(row.oid), schema: row.schema, name: row.name, kind: 'sequence', columns: [] };
  const columns = await client.query<LiveColumn & { total: string }>(
    `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, not a.attnotnull as nullable,
            pg_get_expr(d.adbin, d.adrelid) as default, count(*) over () as total
       from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped
      order by a.attnum limit $2`,
    [row.oid, MAX_COLUMNS],
  );
  const total = Number(columns.rows[0]?.total ?? 0);
  const relation: FoundRelation = {
    oid: Number(row.oid),
    schema: row.schema,
    name: row.name,
    kind: KINDS[row.kind] ?? row.kind,
    columns: columns.rows.map(({ name: column, type, nullable, default: fallback }) => ({ name: column, type, nullable, default: fallback })),
  };
  if (total > relation.columns.length) relation.columnsOmitted = total - relation.columns.length;
  return relation;
}

function plain({ oid: _oid, ...relation }: FoundRelation): LiveRelation {
  return relation;
}

function quoted(relation: LiveRelation): string {
  return `${pg.escapeIdentifier(relation.schema)}.${pg.escapeIdentifier(relation.name)}`;
}

async function elsewhere(client: pg.Client, name: QualifiedName): Promise<string[]> {
  const found = await client.query<{ schema: string }>(
    `select distinct n.nspname as schema from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relname = $1 and not pg_table_is_visible(c.oid) order by 1 limit 5`,
    [name.name],
  );
  return found.rows.map((r) => r.schema);
}

async function existingObject(client: pg.Client, subject: FailureSubject, table: FoundRelation | null): Promise<LiveFacts['existing']> {
  const object = subject.object;
  if (!object) return undefined;
  const queries: Record<string, [string, unknown[]] | undefined> = {
    type: [
      `select format_type(t.oid, null) as name,
              case t.typtype when 'e' then 'enum (' || (select string_agg(quote_literal(e.enumlabel), ', ' order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid) || ')'
                             when 'd' then 'domain over ' || format_type(t.typbasetype, t.typtypmod) when 'c' then 'composite type' else null end as definition
         from pg_type t where t.typname = $1 and pg_type_is_visible(t.oid) limit 1`,
      [object.name],
    ],
    constraint: table ? ['select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint where conname = $1 and conrelid = $2 limit 1', [object.name, table.oid]] : undefined,
    trigger: table ? ['select tgname as name, pg_get_triggerdef(oid) as definition from pg_trigger where tgname = $1 and tgrelid = $2 limit 1', [object.name, table.oid]] : undefined,
  };
  const query = queries[object.kind];
  if (!query) return undefined;
  const found = await client.query<{ name: string; definition: string | null }>(query[0], query[1]);
  const row = found.rows[0];
  return row ? { kind: object.kind, name: row.name, definition: row.definition } : null;
}

async function duplicateGroups(client: pg.Client, table: LiveRelation, columns: string[]): Promise<number> {
  const list = columns.map((c) => pg.escapeIdentifier(c)).join(', ');
  const notNull = columns.map((c) => `${pg.escapeIdentifier(c)} is not null`).join(' and ');
  const found = await client.query<{ groups: string }>(`select count(*) as groups from (select 1 from ${quoted(table)} where ${notNull} group by ${list} having count(*) > 1) d`);
  return Number(found.rows[0]?.groups ?? 0);
}

async function holders(client: pg.Client, table: FoundRelation): Promise<LockHolder[]> {
  const found = await client.query<{ pid: number; application: string; state: string | null; seconds: number | null }>(
    `select distinct a.pid, a.application_name as application, a.state, extract(epoch from now() - a.xact_start)::int as seconds
       from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'relation' and l.relation = $1 and l.granted and l.pid <> pg_backend_pid()
      order by a.pid limit 5`,
    [table.oid],
  );
  return found.rows.map((r) => ({ pid: r.pid, application: r.application, state: r.state ?? 'unknown', transactionSeconds: r.seconds }));
}

/** The facts {@link subjectOf}'s subject calls for; each lookup that fails is left out. */
async function lookUp(client: pg.Client, subject: FailureSubject): Promise<LiveFacts> {
  const facts: LiveFacts = {};
  const attempt = async (fn: () => Promise<void>): Promise<void> => {
    // One savepoint per fact: a failed lookup must not abort the others.
    await client.query('savepoint stagegate_fact');
    try {
      await fn();
      await client.query('release savepoint stagegate_fact');
    } catch {
      await client.query('rollback to savepoint stagegate_fact');
    }
  };
  const table = subject.relation ? await findRelation(client, subject.relation) : null;
  if (subject.relation) facts.relation = table ? plain(table) : null;
  const { sqlstate } = subject;
  if (sqlstate === '42701' && table) facts.column = table.columns.find((c) => c.name === subject.column) ?? null;
  if (subject.referenced) {
    const referenced = await findRelation(client, subject.referenced);
    facts.referenced = referenced ? plain(referenced) : null;
  }
  if (sqlstate === '42P01' && subject.relation && !table) await attempt(async () => void (facts.elsewhere = await elsewhere(client, subject.relation as QualifiedName)));
  if (sqlstate === '42710') await attempt(async () => void (facts.existing = await existingObject(client, subject, table)));
  if (sqlstate === '23502' && table) await attempt(async () => void (facts.rowCount = Number((await client.query<{ n: string }>(`select count(*) as n from ${quoted(table)}`)).rows[0]?.n ?? 0)));
  if (sqlstate === '23505' && table && subject.keyColumns) await attempt(async () => void (facts.duplicateGroups = await duplicateGroups(client, table, subject.keyColumns as string[])));
  if (sqlstate === '55P03' && table) await attempt(async () => void (facts.holders = await holders(client, table)));
  return facts;
}

/**
 * Looks up the facts about the objects a failure names. `inTransaction`:
 * the client is inside a usable transaction (a rehearsal after rolling back
 * to the migration's savepoint); otherwise it is idle. Either way nothing is
 * changed: the lookups run in a savepoint or transaction that is rolled back.
 * Resolves to undefined when there is nothing to look up or the lookup failed.
 */
async function gatherFacts(client: pg.Client, subject: FailureSubject | null, inTransaction: boolean): Promise<LiveFacts | undefined> {
  if (subject === null) return undefined;
  const [open, close] = inTransaction ? ['savepoint stagegate_facts', 'rollback to savepoint stagegate_facts'] : ['begin', 'rollback'];
  try {
    await client.query(open);
    try {
      await client.query("select set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true)", [FACTS_STATEMENT_TIMEOUT, FACTS_LOCK_TIMEOUT]);
      return await lookUp(client, subject);
    } finally {
      await client.query(close);
    }
  } catch {
    return undefined;
  }
}

/**
 * The failure with the facts about its objects, when it names some and the
 * connection is still there; otherwise the failure as it was.
 *
 * @example
 * throw await withFacts(client, error, false);
 */
export async function withFacts(client: pg.Client, error: MigrationFailedError, inTransaction: boolean): Promise<MigrationFailedError> {
  if (error.failure.connectionLost) return error;
  const facts = await gatherFacts(client, subjectOf(error.failure), inTransaction);
  return facts ? error.with({ facts }) : error;
}
