/**
 * `stagegate squash <app> --to NNNN`: writes one migration that replaces a
 * range, built from the schema the range leaves on a scratch database and
 * proven on a second one to build exactly that schema. Nothing is written
 * unless the proof holds.
 */
import { join } from 'node:path';
import { buildCatalog, type SourceFile } from '../core/catalog';
import { MigrationFailedError, MigrationsInvalidError, SquashNotEquivalentError, SquashRefusedError } from '../core/errors';
import { assertEquivalent, contentLabel, type BuiltState } from '../core/squash-proof';
import { reverseFile, type Migration } from '../core/migration';
import { ChangeKind, describeDifference, diffSchemas, objectKey, schemaHash, type SchemaDifference, type SchemaObject } from '../core/schema';
import { orderDump, squashDownText, squashFileText, type DumpNode } from '../core/squash-file';
import { selectSquashRange, type SquashRange, type SquashSelection } from '../core/squash-range';
import { readDumpNodes } from '../adapters/postgres/dump-objects';
import { readContents, readDataNodes, readGrantNodes } from '../adapters/postgres/dump-data';
import { withScratchDatabase } from '../adapters/postgres/scratch-database';
import { readMigrationsFolder } from '../adapters/fs/read-migrations-folder';
import { pathExists, writeSquashFiles } from '../adapters/fs/write-squash-files';
import type { Logger } from '../ports';
import { readScratchState, replay, withScratchClient, type ReplayTarget } from './replay';

const PURPOSE = 'stagegate squash';

export interface SquashDependencies {
  logger: Logger;
  /** A server where the role may create databases (for the two scratch databases). A secret: never logged. */
  server: string;
  /** The ledger schema, left out of fingerprints. */
  ledgerSchema: string;
}

export interface SquashRequest extends SquashRange {
  /** The migrations folder. */
  dir: string;
  /** Named in the file's header: `stagegate squash 0.1.0`. */
  generator: string;
}

/** What `stagegate squash` did; plain JSON. */
export interface SquashResult {
  ok: true;
  action: 'squash';
  app: string;
  squash: string;
  /** Paths relative to the migrations folder. */
  file: string;
  downFile: string | null;
  irreversible: boolean;
  replaced: string[];
  dependsOn: string[];
  /** Objects the range creates (tables, columns, indexes…, as the fingerprint counts them). */
  objects: number;
  statements: number;
  /** Whether rows of the range's tables were carried (`--with-data`). */
  withData: boolean;
  /** Schema fingerprint of a fresh database after the squash, equal to the one after the originals. */
  fingerprint: string;
  proven: true;
}

/**
 * Builds, proves and writes the squash. Throws `SquashRefusedError`,
 * `SquashNotEquivalentError`, or the engine's error when an original fails
 * on the scratch database.
 *
 * @example
 * const result = await buildSquash({ logger, server: url, ledgerSchema: 'stagegate' }, { dir: 'migrations', app: 'organization', to: '0002', generator: 'stagegate squash 0.1.0' });
 */
export async function buildSquash(deps: SquashDependencies, request: SquashRequest): Promise<SquashResult> {
  const files = await readMigrationsFolder(request.dir);
  const selection = selectSquashRange(buildCatalog(files), request);
  const downFile = reverseFile(selection.file);
  for (const file of [selection.file, downFile]) {
    if (await pathExists(join(request.dir, file))) throw new SquashRefusedError(request.app, [{ id: selection.squashId, file, message: `${file} already exists` }]);
  }
  // Before any database work: the folder must accept the squash (a cycle through another app would show here).
  acceptedCatalog(files, selection, squashFileText(selection, [], { generator: request.generator, fingerprint: '' }), null);
  deps.logger.info('squash.range', { app: request.app, squash: selection.squashId, replaces: selection.range.length, prerequisites: selection.prerequisites.length });
  const original = await withScratchDatabase(deps.server, PURPOSE, (url) => buildFromOriginals({ url, ledgerSchema: deps.ledgerSchema, logger: deps.logger }, selection, request.withData === true));
  const fingerprint = schemaHash(original.after);
  const text = squashFileText(selection, orderDump(original.nodes), { generator: request.generator, fingerprint });
  const down = squashDownText(selection);
  const catalog = acceptedCatalog(files, selection, text, down);
  const proven = await withScratchDatabase(deps.server, PURPOSE, (url) => buildFromSquash({ url, ledgerSchema: deps.ledgerSchema, logger: deps.logger }, catalog, selection, original.keys));
  assertEquivalent(selection.squashId, { objects: original.after, contents: original.contents }, proven);
  deps.logger.info('squash.proven', { squash: selection.squashId, fingerprint });
  await writeSquashFiles(request.dir, { file: selection.file, text }, down === null ? null : { file: downFile, text: down });
  deps.logger.info('squash.written', { file: selection.file, downFile: down === null ? null : downFile });
  return toResult(selection, original, { downFile: down === null ? null : downFile, withData: request.withData === true, fingerprint });
}

function toResult(selection: SquashSelection, original: OriginalBuild, written: { downFile: string | null; withData: boolean; fingerprint: string }): SquashResult {
  return {
    ok: true,
    action: 'squash',
    app: selection.app,
    squash: selection.squashId,
    file: selection.file,
    downFile: written.downFile,
    irreversible: written.downFile === null,
    replaced: selection.range.map((m) => m.id),
    dependsOn: selection.dependsOn,
    objects: original.added,
    // The nodes' statements and the leading SET.
    statements: original.nodes.reduce((n, node) => n + node.statements.length, 0) + 1,
    withData: written.withData,
    fingerprint: written.fingerprint,
    proven: true,
  };
}

/** The catalog with the squash added; a problem it has (a cycle, a bad directive) refuses the squash. */
function acceptedCatalog(files: readonly SourceFile[], selection: SquashSelection, text: string, down: string | null): Migration[] {
  const added: SourceFile[] = [{ path: selection.file, content: text }];
  if (down !== null) added.push({ path: reverseFile(selection.file), content: down });
  try {
    return buildCatalog([...files, ...added]);
  } catch (error) {
    if (!(error instanceof MigrationsInvalidError)) throw error;
    throw new SquashRefusedError(selection.app, error.problems.map((p) => ({ id: null, file: p.file, message: `with the squash, the folder would have a problem: [${p.code}] ${p.message}` })));
  }
}

interface OriginalBuild {
  after: SchemaObject[];
  nodes: DumpNode[];
  added: number;
  /** The keys of the objects the range created. */
  keys: Set<string>;
  contents: Map<string, string>;
}

/** Scratch database 1: what the range needs, then the range; the range's objects, as DDL nodes. */
async function buildFromOriginals(target: ReplayTarget, selection: SquashSelection, withData: boolean): Promise<OriginalBuild> {
  await replay(target, selection.prerequisites);
  const before = await readScratchState(target);
  const earlier = new Set(before.objects.map(objectKey));
  await replay(target, [...selection.prerequisites, ...selection.range]);
  const { objects: after, contents: rowsAfter } = await readScratchState(target, earlier);
  const changes = diffSchemas(before.objects, after);
  refuseChangesToEarlierObjects(selection, before.contents, rowsAfter, changes.filter((c) => c.change !== ChangeKind.ADDED));
  const keys = new Set(changes.map(objectKey));
  const { nodes, contents } = await withScratchClient(target, async (client) => ({
    nodes: [
      ...(await readDumpNodes(client, [target.ledgerSchema], keys)),
      ...(withData ? await readDataNodes(client, [target.ledgerSchema], keys) : []),
      ...(await readGrantNodes(client, [target.ledgerSchema], keys)),
    ],
    contents: await readContents(client, [target.ledgerSchema], keys),
  }));
  target.logger.info('squash.replayed', { objects: keys.size, statements: nodes.length });
  return { after, nodes, added: keys.size, keys, contents };
}

/**
 * A squash only creates objects and fills its own: a range that changes
 * the rows or privileges (`before`/`after` contents) or the definition of
 * an object that existed before it is refused.
 */
function refuseChangesToEarlierObjects(selection: SquashSelection, before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>, altered: readonly SchemaDifference[]): void {
  const touched = [...new Set([...before.keys(), ...after.keys()])].filter((key) => before.get(key) !== after.get(key)).sort();
  const problems = [
    ...altered.map((c) => `the range ${describeDifference(c, 'by the range')}, an object it did not create: a squash only creates objects`),
    ...touched.map((key) => `the range changes the ${contentLabel(key).replace(/^contents of/, 'rows of')}, which it did not create: a squash only carries what its own objects hold`),
  ];
  if (problems.length === 0) return;
  throw new SquashRefusedError(
    selection.app,
    problems.map((message) => ({ id: null, file: null, message })),
    'End the range before the migration that changes objects of other apps (or of earlier migrations), or squash from the start of the history; no file was written.',
  );
}

/** Scratch database 2: what the range needs, then the squash alone (the engine uses it: none of its originals are applied). */
async function buildFromSquash(target: ReplayTarget, catalog: readonly Migration[], selection: SquashSelection, keys: ReadonlySet<string>): Promise<BuiltState> {
  const wanted = new Set([...selection.prerequisites.map((m) => m.id), selection.squashId]);
  const migrations = catalog.filter((m) => wanted.has(m.id));
  try {
    await replay(target, migrations);
  } catch (error) {
    if (!(error instanceof MigrationFailedError) || error.details.migration !== selection.squashId) throw error;
    const where = typeof error.details.line === 'number' ? ` at line ${error.details.line}` : '';
    throw new SquashNotEquivalentError(selection.squashId, [`the generated squash failed${where}: ${error.message}`], [error.toJSON()]);
  }
  return readScratchState(target, keys);
}
