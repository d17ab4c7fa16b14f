/**
 * Queries over the example `organization` app's tables. Every value is a
 * bound parameter; the SQL text is constant.
 */
import type pg from 'pg';
import type { NewOrganization } from './validation';

/** What `query` needs: a `pg.Client`, a pooled client or a pool. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/** An organization as the API returns it. */
export interface Organization {
  /** A `bigint`, as text: JSON numbers lose precision above 2^53. */
  id: string;
  name: string;
  /** The name of its type, or null. */
  type: string | null;
  /** ISO 8601, UTC. */
  createdAt: string;
}

interface OrganizationRow {
  id: string;
  name: string;
  type: string | null;
  created_at: Date;
}

const SELECT_ORGANIZATION = `
  select o.id, o.name, t.name as type, o.created_at
    from organization o
    left join organization_organizationtype t on t.id = o.type_id`;

function toOrganization(row: OrganizationRow): Organization {
  return { id: row.id, name: row.name, type: row.type, createdAt: row.created_at.toISOString() };
}

/**
 * The newest organizations first (ties, such as rows of one transaction, by id).
 *
 * @example
 * const page = await listOrganizations(client, 50);
 */
export async function listOrganizations(client: Queryable, limit: number): Promise<Organization[]> {
  const result = await client.query<OrganizationRow>(`${SELECT_ORGANIZATION} order by o.created_at desc, o.id desc limit $1`, [limit]);
  return result.rows.map(toOrganization);
}

/**
 * One organization, or null when there is none with this id.
 *
 * @example
 * const organization = await findOrganization(client, '42');
 */
export async function findOrganization(client: Queryable, id: string): Promise<Organization | null> {
  const result = await client.query<OrganizationRow>(`${SELECT_ORGANIZATION} where o.id = $1`, [id]);
  const row = result.rows[0];
  return row === undefined ? null : toOrganization(row);
}

/** What an insert did: the new row, or nothing because the type does not exist (with the names that do). */
export type InsertOutcome = { created: Organization } | { unknownType: string[] };

/**
 * Inserts an organization. The type is looked up in the same statement as
 * the insert, so a type deleted meanwhile cannot slip through; when no type
 * has that name, nothing is inserted and the existing names are returned.
 *
 * @example
 * const outcome = await insertOrganization(client, { name: 'Acme', type: 'company' });
 * if ('unknownType' in outcome) … // e.g. ['company', 'government', 'nonprofit']
 */
export async function insertOrganization(client: Queryable, input: NewOrganization): Promise<InsertOutcome> {
  type Inserted = Omit<OrganizationRow, 'type'>;
  const result =
    input.type === null
      ? await client.query<Inserted>('insert into organization (name) values ($1) returning id, name, created_at', [input.name])
      : await client.query<Inserted>(
          `insert into organization (name, type_id)
           select $1, t.id from organization_organizationtype t where t.name = $2
           returning id, name, created_at`,
          [input.name, input.type],
        );
  const row = result.rows[0];
  if (row !== undefined) return { created: toOrganization({ ...row, type: input.type }) };
  return { unknownType: await organizationTypeNames(client) };
}

/**
 * Every organization type name, sorted.
 *
 * @example
 * await organizationTypeNames(client); // ['company', 'government', 'nonprofit']
 */
export async function organizationTypeNames(client: Queryable): Promise<string[]> {
  const result = await client.query<{ name: string }>('select name from organization_organizationtype order by name');
  return result.rows.map((row) => row.name);
}
