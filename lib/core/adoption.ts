/**
 * What `stagegate adopt <id>` may do, decided on plain data: the migration
 * must be pending, every migration it depends on applied, and it must be a
 * migration whose effect can be replayed (not a squash).
 */
import { AdoptRefusedError } from './errors-drift';
import { topologicalOrder } from './graph';
import { compareIds, LedgerState, type AppliedMigration, type Migration } from './migration';
import { analyse } from './plan';

/** The migration to adopt and the history to replay before it, in dependency order. */
export interface AdoptionPlan {
  target: Migration;
  /** Every migration the target depends on, directly or not, in the order they ran. */
  history: Migration[];
}

/** A migration's dependencies, where a dependency on an id replaced by a squash in effect means the squash. */
function dependenciesOf(migration: Migration, replacedBy: ReadonlyMap<string, string>): string[] {
  return migration.dependencies.map((d) => replacedBy.get(d) ?? d).filter((d) => d !== migration.id);
}

function closureOf(target: Migration, byId: ReadonlyMap<string, Migration>, replacedBy: ReadonlyMap<string, string>): { found: Migration[]; unknown: string[] } {
  const seen = new Set<string>();
  const unknown: string[] = [];
  const queue = dependenciesOf(target, replacedBy);
  while (queue.length > 0) {
    const id = queue.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    const migration = byId.get(id);
    if (migration === undefined) unknown.push(id);
    else queue.push(...dependenciesOf(migration, replacedBy));
  }
  const found = [...seen].filter((id) => byId.has(id)).sort(compareIds).map((id) => byId.get(id) as Migration);
  return { found, unknown: unknown.sort(compareIds) };
}

function refuseState(id: string, row: AppliedMigration): never {
  if (row.state === LedgerState.APPLIED) {
    throw new AdoptRefusedError(id, `it is already applied (${row.method} ${row.appliedAt}).`, { remedy: 'Nothing to adopt; `stagegate status` shows every migration.' });
  }
  throw new AdoptRefusedError(id, `its ledger row is ${row.state}: a no-transaction run of it failed or was interrupted.`, {
    remedy: `Settle it with \`stagegate resolve ${id} --applied\` or \`--rolled-back\`.`,
  });
}

/**
 * Checks that `id` can be adopted and returns it with the history to
 * replay. Throws `AdoptRefusedError` when it is unknown, already in the
 * ledger, a squash, or when a migration it depends on is not applied (each
 * is named).
 *
 * @example
 * const { target, history } = adoptionPlan(bundle.migrations, ledger.rows, 'app/0002_org');
 */
export function adoptionPlan(migrations: readonly Migration[], ledger: readonly AppliedMigration[], id: string): AdoptionPlan {
  const byId = new Map(migrations.map((m) => [m.id, m]));
  const target = byId.get(id);
  if (target === undefined) throw new AdoptRefusedError(id, 'the bundle has no such migration.', { remedy: 'Check the id with `stagegate status`.' });
  const row = ledger.find((r) => r.id === id);
  if (row !== undefined) refuseState(id, row);
  if (target.directives.replaces.length > 0) {
    throw new AdoptRefusedError(id, `it is a squash of ${target.directives.replaces.join(', ')}; a squash is recorded by \`migrate\` once its originals are applied.`, {
      remedy: 'Adopt the migrations it replaces instead.',
    });
  }
  const replacedBy = squashesInEffect(migrations, ledger);
  const { found, unknown } = closureOf(target, byId, replacedBy);
  // A squash in effect counts as applied when every migration it replaces is (it is recorded by the next migrate).
  const applied = new Set(ledger.filter((r) => r.state === LedgerState.APPLIED).map((r) => r.id));
  for (const m of migrations) if (!applied.has(m.id) && m.directives.replaces.length > 0 && m.directives.replaces.every((r) => applied.has(r))) applied.add(m.id);
  const missing = [...found.map((m) => m.id).filter((d) => !applied.has(d)), ...unknown];
  if (missing.length > 0) {
    throw new AdoptRefusedError(id, `${missing.length} migration(s) it depends on are not applied: ${missing.join(', ')}.`, {
      remedy: unknown.length > 0 ? 'Add the migrations it depends on to the bundle (or fix its depends-on), then adopt it.' : dependenciesFirst(id, found, missing, replacedBy),
      details: { missing },
    });
  }
  const graph = new Map(found.map((m) => [m.id, dependenciesOf(m, replacedBy)]));
  const { order } = topologicalOrder(found.map((m) => m.id), graph, new Map(found.map((m, i) => [m.id, i])));
  return { target, history: order.map((d) => byId.get(d) as Migration) };
}

/**
 * The way to apply a pending dependency without the migration to adopt:
 * `migrate` alone would run it too (and fail on its hand-made objects), and
 * stops first with DRIFT_DETECTED on those very objects. `migrate --to` each
 * missing migration no other missing one depends on applies exactly them;
 * `--drift warn` lets that run past the drift and accepts nothing (the
 * drifted objects keep their baseline, so every later run reports them
 * again until this adoption records them).
 */
function dependenciesFirst(id: string, found: readonly Migration[], missing: readonly string[], replacedBy: ReadonlyMap<string, string>): string {
  const needed = new Set(found.filter((m) => missing.includes(m.id)).flatMap((m) => dependenciesOf(m, replacedBy)));
  const commands = missing.filter((m) => !needed.has(m)).map((m) => `\`stagegate migrate --to ${m} --drift warn\``);
  return (
    `Apply those first, and not this one: ${commands.join(', then ')}, then adopt this one. ` +
    `--drift warn is for the DRIFT_DETECTED a plain run stops with when objects were made by hand for ${id}: the run applies only what --to names, ` +
    'and accepts no drift (the drifted objects keep their baseline and are reported again until this adoption records them). ' +
    `Use it only when \`stagegate drift\` lists nothing but the objects ${id} makes; otherwise leave --drift out.`
  );
}

/**
 * Replaced id → the squash in effect that stands for it here (see
 * `Analysis.replacedBy`): where the original did not run (a fresh stage ran
 * the squash) or is gone from the bundle. An original that ran and is still
 * in the bundle is replayed as it ran.
 */
function squashesInEffect(migrations: readonly Migration[], ledger: readonly AppliedMigration[]): Map<string, string> {
  const ran = new Set(ledger.filter((r) => r.state === LedgerState.APPLIED).map((r) => r.id));
  const inBundle = new Set(migrations.map((m) => m.id));
  return new Map([...analyse(migrations, ledger).replacedBy].filter(([id]) => !ran.has(id) || !inBundle.has(id)));
}
