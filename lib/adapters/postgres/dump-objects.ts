/**
 * Generates the DDL that recreates a set of objects, from the catalog: the
 * squash generator's reader. No pg_dump is needed (it is often missing where
 * stagegate runs). Definitions come from the server's own `pg_get_*def`
 * functions where it has them; tables, sequences, types and constraints are
 * assembled from catalog facts by `core/squash-ddl.ts`, and the order comes
 * from `pg_depend` (`core/squash-file.ts`).
 */
import type pg from 'pg';
import {
  addColumnStatement,
  commentStatement,
  constraintStatement,
  sequenceStatement,
  tableStatements,
  typeStatement,
  viewStatement,
  type ColumnFacts,
  type SequenceFacts,
  type TableFacts,
  type TypeFacts,
} from '../../core/squash-ddl';
import { DumpPhase, type DumpNode } from '../../core/squash-file';
import { DUMP_COMMENTS_SQL, DUMP_DEPENDENCIES_SQL, DUMP_OBJECTS_SQL } from './dump-queries';
import { withCatalogTransaction } from './dump-transaction';

interface ObjectRow {
  kind: string;
  name: string;
  facts: Record<string, unknown>;
  ids: string[];
}

type Facts = Record<string, unknown>;

/** A node for one catalog object, or null when the dump cannot create it (the proof then reports it). */
function nodeOf(row: ObjectRow, key: string): DumpNode | null {
  const f = row.facts;
  const node = (phase: DumpPhase, statements: string[]): DumpNode => ({ key, phase, statements, dependsOn: [] });
  switch (row.kind) {
    case 'schema':
      return node(DumpPhase.SCHEMA, [`CREATE SCHEMA ${String(f.name)}`]);
    case 'extension':
      return node(DumpPhase.EXTENSION, [`CREATE EXTENSION ${String(f.name)} WITH SCHEMA ${String(f.schema)}`]);
    case 'type':
      return node(DumpPhase.TYPE, [typeStatement(f as unknown as TypeFacts)]);
    case 'table':
      return { ...node(DumpPhase.TABLE, tableStatements(f as unknown as TableFacts)), dependsOn: typeof f.parentKey === 'string' ? [f.parentKey] : [] };
    case 'column':
      return node(DumpPhase.COLUMN, [addColumnStatement(String(f.table), f.column as ColumnFacts)]);
    case 'sequence':
      return node(DumpPhase.SEQUENCE, [sequenceStatement(f as unknown as SequenceFacts)]);
    case 'constraint':
      return node(f.foreign ? DumpPhase.FOREIGN_KEY : DumpPhase.CONSTRAINT, [constraintStatement(String(f.table), String(f.name), String(f.definition))]);
    case 'index':
      return node(DumpPhase.INDEX, [String(f.definition)]);
    case 'view':
      return node(DumpPhase.VIEW, [viewStatement(f as unknown as Parameters<typeof viewStatement>[0])]);
    case 'function':
      return typeof f.definition === 'string' ? node(DumpPhase.FUNCTION, [f.definition]) : null;
    case 'trigger':
      return node(DumpPhase.TRIGGER, [String(f.definition)]);
    default:
      return null;
  }
}

/** The objects to create: one node per key, a table's columns inside its node, `OWNED BY` as its own node. */
function buildNodes(rows: readonly ObjectRow[], keys: ReadonlySet<string>): { nodes: Map<string, DumpNode>; alias: Map<string, string> } {
  const nodes = new Map<string, DumpNode>();
  const alias = new Map<string, string>();
  for (const row of rows) {
    const key = `${row.kind}\t${row.name}`;
    if (!keys.has(key)) continue;
    if (row.kind === 'column') {
      const table = `table\t${row.name.slice(0, row.name.lastIndexOf('.'))}`;
      if (keys.has(table)) {
        alias.set(key, table);
        continue;
      }
    }
    const node = nodeOf(row, key);
    if (node) nodes.set(key, node);
    const owner = row.kind === 'sequence' ? (row.facts as Facts).ownedBy : null;
    if (typeof owner === 'string') {
      const ownerKey = String((row.facts as Facts).ownerKey);
      nodes.set(`owned\t${row.name}`, { key: `owned\t${row.name}`, phase: DumpPhase.SEQUENCE_OWNER, statements: [`ALTER SEQUENCE ${String((row.facts as Facts).name)} OWNED BY ${owner}`], dependsOn: [key, ownerKey] });
    }
  }
  return { nodes, alias };
}

/** Follows aliases (a column to its table) to the node that creates a key. */
function resolver(nodes: ReadonlyMap<string, DumpNode>, alias: ReadonlyMap<string, string>): (key: string | undefined) => string | undefined {
  return (key) => {
    let current = key;
    for (let hops = 0; current !== undefined && hops < 3; hops += 1) {
      if (nodes.has(current)) return current;
      current = alias.get(current);
    }
    return undefined;
  };
}

/**
 * DDL nodes for the objects named by `keys` (`kind<TAB>name`, as
 * `diffSchemas` reports them), with their dependencies, unordered. A key
 * the dump cannot create (an aggregate, say) has no node: the squash's proof
 * then shows it missing.
 *
 * @example
 * const nodes = await readDumpNodes(client, ['stagegate'], new Set(added.map(objectKey)));
 * const sql = orderDump(nodes).flatMap((n) => n.statements);
 */
export async function readDumpNodes(client: pg.ClientBase, excludeSchemas: readonly string[], keys: ReadonlySet<string>): Promise<DumpNode[]> {
  const { rows, edges, comments } = await withCatalogTransaction(client, async () => ({
    rows: (await client.query<ObjectRow>(DUMP_OBJECTS_SQL, [[...excludeSchemas]])).rows,
    edges: (await client.query<{ dependent: string; referenced: string }>(DUMP_DEPENDENCIES_SQL)).rows,
    comments: (await client.query<{ key: string; target: string; description: string }>(DUMP_COMMENTS_SQL, [[...excludeSchemas]])).rows,
  }));
  const { nodes, alias } = buildNodes(rows, keys);
  const keyOfId = new Map<string, string>();
  // A column row also stands for its identity sequence, a constraint row for its index: they create them.
  for (const row of rows) for (const id of row.ids) if (!id.endsWith(':0:0')) keyOfId.set(id, `${row.kind}\t${row.name}`);
  const resolve = resolver(nodes, alias);
  const lookup = (id: string): string | undefined => resolve(keyOfId.get(id) ?? keyOfId.get(id.replace(/:[0-9]+$/, ':0')));
  for (const { dependent, referenced } of edges) {
    const from = lookup(dependent);
    const to = lookup(referenced);
    if (from !== undefined && to !== undefined && from !== to) nodes.get(from)?.dependsOn.push(to);
  }
  for (const node of nodes.values()) node.dependsOn = node.dependsOn.map((d) => resolve(d) ?? d);
  for (const c of comments) {
    const target = resolve(c.key);
    if (target === undefined || !keys.has(c.key)) continue;
    nodes.set(`comment\t${c.key}`, { key: `comment\t${c.key}`, phase: DumpPhase.COMMENT, statements: [commentStatement(c.target, c.description)], dependsOn: [target] });
  }
  return [...nodes.values()];
}
