/**
 * The privileges half of a squash: `GRANT`s the range gave on the objects it
 * created, as statements, and every ACL in a canonical form so the proof
 * compares privileges too (they are not in the schema fingerprint).
 */
import type pg from 'pg';
import { grantStatements, type GrantFacts } from '../../core/squash-ddl';
import { DumpPhase, type DumpNode } from '../../core/squash-file';
import { DUMP_ACLS_SQL } from './dump-queries';

interface AclRow {
  key: string;
  /** Null for a column ACL: the dump does not write column grants (the proof then refuses). */
  target: string | null;
  grants: GrantFacts[] | null;
  acl: string;
}

/** ACL rows of the managed schemas; run inside the caller's catalog transaction. */
async function aclRows(client: pg.ClientBase, excludeSchemas: readonly string[]): Promise<AclRow[]> {
  return (await client.query<AclRow>(DUMP_ACLS_SQL, [[...excludeSchemas]])).rows;
}

/**
 * The ACL of each object named in `keys` that has one, keyed `acl<TAB><key>`.
 *
 * @example
 * const acls = await readPrivileges(client, ['stagegate'], keys); // Map { 'acl\ttable\tpublic.org' => 'api=r/owner,owner=arwdDxtm/owner' }
 */
export async function readPrivileges(client: pg.ClientBase, excludeSchemas: readonly string[], keys: ReadonlySet<string>): Promise<Map<string, string>> {
  return new Map((await aclRows(client, excludeSchemas)).filter((r) => keys.has(r.key)).map((r) => [`acl\t${r.key}`, r.acl]));
}

/**
 * `REVOKE`/`GRANT` nodes for the objects named in `keys` whose ACL was set.
 *
 * @example
 * nodes.push(...(await readPrivilegeNodes(client, ['stagegate'], keys)));
 */
export async function readPrivilegeNodes(client: pg.ClientBase, excludeSchemas: readonly string[], keys: ReadonlySet<string>): Promise<DumpNode[]> {
  return (await aclRows(client, excludeSchemas))
    .filter((r) => keys.has(r.key) && r.target !== null)
    .map((r) => ({ key: `acl\t${r.key}`, phase: DumpPhase.COMMENT, statements: grantStatements(r.target as string, r.grants ?? []), dependsOn: [r.key] }));
}
