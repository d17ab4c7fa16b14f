/**
 * The rows half of a squash: what the tables a range created hold (seed
 * rows of lookup tables, with `--with-data`) and where its sequences stand,
 * as statements, and as content hashes so the proof compares rows too.
 */
import type pg from 'pg';
import { insertStatement, setvalStatement } from '../../core/squash-ddl';
import { DumpPhase, type DumpNode } from '../../core/squash-file';
import { DUMP_COMMENTS_SQL, DUMP_SEQUENCE_VALUES_SQL, DUMP_TABLES_SQL } from './dump-queries';
import { readPrivilegeNodes, readPrivileges } from './dump-privileges';
import { withCatalogTransaction } from './dump-transaction';

interface TableRow {
  oid: string;
  name: string;
  qn: string;
  columns: string[] | null;
}

async function tablesIn(client: pg.ClientBase, excludeSchemas: readonly string[], keys: ReadonlySet<string>): Promise<TableRow[]> {
  const rows = (await client.query<TableRow>(DUMP_TABLES_SQL, [[...excludeSchemas]])).rows;
  return rows.filter((t) => keys.has(`table\t${t.name}`));
}

/**
 * A hash of the rows of each table named in `keys`, the value of each
 * sequence named there that has handed one out, and each one's privileges
 * and comment: equal maps mean equal data, grants and comments.
 *
 * @example
 * const contents = await readContents(client, ['stagegate'], new Set(['table\tpublic.kind']));
 */
export async function readContents(client: pg.ClientBase, excludeSchemas: readonly string[], keys: ReadonlySet<string>): Promise<Map<string, string>> {
  return withCatalogTransaction(client, async () => {
    const contents = new Map<string, string>();
    for (const table of await tablesIn(client, excludeSchemas, keys)) {
      const result = await client.query<{ rows: string; hash: string }>(
        `select count(*)::text as rows, md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) as hash from ${table.qn} t`,
      );
      const row = result.rows[0] as { rows: string; hash: string };
      contents.set(`table\t${table.name}`, `${row.rows} row(s), md5 ${row.hash}`);
    }
    for (const sequence of (await client.query<{ name: string; last_value: string }>(DUMP_SEQUENCE_VALUES_SQL, [[...excludeSchemas]])).rows) {
      if (keys.has(`sequence\t${sequence.name}`)) contents.set(`sequence\t${sequence.name}`, `last value ${sequence.last_value}`);
    }
    for (const [key, acl] of await readPrivileges(client, excludeSchemas, keys)) contents.set(key, `privileges ${acl}`);
    for (const comment of (await client.query<{ key: string; description: string }>(DUMP_COMMENTS_SQL, [[...excludeSchemas]])).rows) {
      if (keys.has(comment.key)) contents.set(`comment\t${comment.key}`, `comment ${JSON.stringify(comment.description)}`);
    }
    return contents;
  });
}

/**
 * `INSERT` nodes for the rows of the tables named in `keys`, and `setval`
 * nodes for their sequences, to add to the DDL nodes.
 *
 * @example
 * const nodes = [...await readDumpNodes(client, schemas, keys), ...await readDataNodes(client, schemas, keys)];
 */
export async function readDataNodes(client: pg.ClientBase, excludeSchemas: readonly string[], keys: ReadonlySet<string>): Promise<DumpNode[]> {
  return withCatalogTransaction(client, async () => {
    const nodes: DumpNode[] = [];
    for (const table of await tablesIn(client, excludeSchemas, keys)) {
      const result = await client.query<{ rows: string | null }>(`select jsonb_agg(to_jsonb(t))::text as rows from ${table.qn} t`);
      const rows = result.rows[0]?.rows ?? null;
      if (rows === null || table.columns === null) continue;
      const key = `table\t${table.name}`;
      nodes.push({ key: `data\t${table.name}`, phase: DumpPhase.DATA, statements: [insertStatement(table.qn, table.columns, rows)], dependsOn: [key] });
    }
    for (const sequence of (await client.query<{ name: string; qn: string; last_value: string }>(DUMP_SEQUENCE_VALUES_SQL, [[...excludeSchemas]])).rows) {
      const key = `sequence\t${sequence.name}`;
      if (!keys.has(key)) continue;
      nodes.push({ key: `value\t${sequence.name}`, phase: DumpPhase.SEQUENCE_VALUE, statements: [setvalStatement(sequence.qn, sequence.last_value)], dependsOn: [key] });
    }
    return nodes;
  });
}

/**
 * The `GRANT`s of the objects named in `keys`, read in a catalog transaction.
 *
 * @example
 * nodes.push(...(await readGrantNodes(client, ['stagegate'], keys)));
 */
export function readGrantNodes(client: pg.ClientBase, excludeSchemas: readonly string[], keys: ReadonlySet<string>): Promise<DumpNode[]> {
  return withCatalogTransaction(client, () => readPrivilegeNodes(client, excludeSchemas, keys));
}
