/**
 * When the originals of a squash may go: only once every place that runs
 * the migrations has applied the squash (a stage that still lacks it needs
 * the originals, Django's rule). Pure: the evidence is read by adapters.
 */
import type { PruneShortfall } from './errors';
import type { Migration } from './migration';

/** What one place (a stage's record, a database's ledger) says is applied. */
export interface AppliedEvidence {
  /** `stage production`, `database app@db:5432/app`. */
  where: string;
  /** Applied ids, or null when the place has no record at all. */
  applied: ReadonlySet<string> | null;
}

/** A squash of the app whose originals are still in the folder. */
export interface PrunableSquash {
  squash: Migration;
  originals: Migration[];
}

export interface PrunePlan {
  squashes: PrunableSquash[];
  /** Every place that has not applied a squash; empty when pruning is safe. */
  shortfalls: PruneShortfall[];
}

/**
 * The squashes of `app` with originals left, and every place where one of
 * them is not applied yet.
 *
 * @example
 * planPrune(catalog, 'organization', [{ where: 'stage dev', applied: new Set(['organization/0003_squashed_0001_0003']) }]);
 */
export function planPrune(catalog: readonly Migration[], app: string, evidence: readonly AppliedEvidence[]): PrunePlan {
  const byId = new Map(catalog.map((m) => [m.id, m]));
  const squashes = catalog
    .filter((m) => m.app === app && m.directives.replaces.length > 0)
    .map((squash) => ({ squash, originals: squash.directives.replaces.map((id) => byId.get(id)).filter((m): m is Migration => m !== undefined) }))
    .filter((s) => s.originals.length > 0);
  const shortfalls: PruneShortfall[] = [];
  for (const { squash } of squashes) {
    for (const place of evidence) {
      if (place.applied === null) shortfalls.push({ where: place.where, squash: squash.id, reason: 'has no record of applied migrations' });
      else if (!place.applied.has(squash.id)) shortfalls.push({ where: place.where, squash: squash.id, reason: 'has not applied the squash' });
    }
  }
  return { squashes, shortfalls };
}
