/**
 * `stagegate squash <app> --prune`: deletes the originals a squash replaces
 * (and their reverse scripts) once every stage has applied the squash.
 */
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { buildCatalog } from '../core/catalog';
import { PruneRefusedError } from '../core/errors';
import { reverseFile } from '../core/migration';
import { planPrune, type AppliedEvidence } from '../core/squash-prune';
import { readMigrationsFolder } from '../adapters/fs/read-migrations-folder';
import type { Logger } from '../ports';

export interface PruneRequest {
  dir: string;
  app: string;
  /** Where to check that the squash is applied: each stage's record, a database's ledger. */
  evidence: AppliedEvidence[];
  /** Delete even where the checks fail; `reason` is required with it and reported. */
  force: { reason: string } | null;
}

export interface PruneResult {
  ok: true;
  action: 'squash';
  app: string;
  pruned: true;
  squashes: string[];
  /** Files deleted, relative to the migrations folder. */
  removed: string[];
  /** Where it was checked that the squashes are applied. */
  checked: string[];
  forced: string | null;
}

/**
 * Checks, then deletes. Throws `PruneRefusedError` naming each stage or
 * database that has not applied a squash, or when nothing could be checked.
 *
 * @example
 * await pruneSquash({ logger }, { dir: 'migrations', app: 'organization', evidence, force: null });
 */
export async function pruneSquash(deps: { logger: Logger }, request: PruneRequest): Promise<PruneResult> {
  const files = await readMigrationsFolder(request.dir);
  const catalog = buildCatalog(files);
  const { squashes, shortfalls } = planPrune(catalog, request.app, request.evidence);
  if (squashes.length > 0 && request.force === null) {
    if (request.evidence.length === 0) throw new PruneRefusedError(request.app, [], true);
    if (shortfalls.length > 0) throw new PruneRefusedError(request.app, shortfalls);
  }
  if (request.force !== null && shortfalls.length > 0) deps.logger.warn('prune.forced', { reason: request.force.reason, shortfalls });
  const doomed = new Set(squashes.flatMap((s) => s.originals.flatMap((m) => [m.file, reverseFile(m.file)])));
  // The folder must stay valid without them (the squash carries their cross-app dependencies).
  buildCatalog(files.filter((f) => !doomed.has(f.path)));
  const removed: string[] = [];
  for (const path of [...doomed].sort()) {
    if (!files.some((f) => f.path === path)) continue;
    await unlink(join(request.dir, path));
    removed.push(path);
  }
  deps.logger.info('prune.done', { app: request.app, removed: removed.length });
  return {
    ok: true,
    action: 'squash',
    app: request.app,
    pruned: true,
    squashes: squashes.map((s) => s.squash.id),
    removed,
    checked: request.evidence.map((e) => e.where),
    forced: request.force?.reason ?? null,
  };
}
