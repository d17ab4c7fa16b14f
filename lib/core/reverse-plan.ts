import { IrreversibleError, TargetReplacedError, TargetUnknownError, type IrreversibleMigration } from './errors';
import { topologicalOrder } from './graph';
import { LedgerState, type AppliedMigration, type Migration } from './migration';
import { analyse, refuseProblems, type Analysis, type PlanStep } from './plan';
import { parseTarget, type Target } from './target';

/**
 * The plan that brings the database to `target`, then stops. Pure.
 *
 * - A migration id: the target state is that migration and everything it
 *   depends on (transitively) applied. Reverted: every applied migration of
 *   the target's app that the target does not depend on (those numbered
 *   after it, and a sibling branch with the same number), then everything of
 *   any app that depends on one of them, transitively. Applied migrations of
 *   other apps that depend on none of them stay. Applied: the target and its
 *   pending dependencies, in the usual order; nothing else.
 * - `<app>/zero`: every applied migration of the app is reverted, with
 *   everything that depends on them; nothing is applied.
 * - `zero`: every applied migration is reverted.
 *
 * Reverts come first, dependents before what they depend on (the newest
 * first when both orders are possible), then applies. A squash in effect is
 * one node: reverting it runs the squash's reverse script and deletes its
 * row and the rows of the migrations it replaces; a migration it replaces
 * cannot be the target ({@link TargetReplacedError}).
 *
 * Refuses before anything runs, like {@link plan} (dirty, checksums, database
 * ahead, unusable squash), then `TARGET_UNKNOWN`, `TARGET_REPLACED`, and
 * `IRREVERSIBLE` naming every migration to revert that is marked
 * irreversible or has no reverse script.
 *
 * @example
 * const steps = planTo(bundle.migrations, ledger.rows, 'organization/0001_initial');
 * // [{ kind: 'revert', migration: membership/0001…, rows: [...] }, { kind: 'revert', migration: organization/0002… }]
 */
export function planTo(migrations: readonly Migration[], ledger: readonly AppliedMigration[], target: string): PlanStep[] {
  const analysis = refuseProblems(migrations, analyse(migrations, ledger));
  const graph = effectiveGraph(migrations, ledger, analysis);
  const parsed = parseTarget(target);
  const closure = targetClosure(parsed, target, graph);
  const seeds = [...graph.applied].filter((id) => !closure.has(id) && inScope(parsed, graph.byId.get(id) as Migration));
  const reverted = [...withDependents(seeds, graph)].sort((a, b) => (graph.rank.get(a) as number) - (graph.rank.get(b) as number));
  const blocked = reverted.map((id) => graph.byId.get(id) as Migration).flatMap(irreversibility);
  if (blocked.length > 0) throw new IrreversibleError(target, blocked);
  const forward = analysis.steps.filter((s) => closure.has(s.migration.id));
  return [...revertOrder(reverted, graph), ...forward];
}

/** The dependency graph with every squash in effect as one node, and which nodes are applied. */
interface EffectiveGraph {
  byId: ReadonlyMap<string, Migration>;
  /** Node → the nodes it depends on. */
  deps: ReadonlyMap<string, string[]>;
  /** Applied nodes: a squash in effect counts when its row or every replaced migration's row is there. */
  applied: ReadonlySet<string>;
  /** Replaced id → the squash in effect that replaces it. */
  replacedBy: ReadonlyMap<string, string>;
  /** Ids with a ledger row. */
  rows: ReadonlySet<string>;
  /** Position in the bundle (id order), for a stable order. */
  rank: ReadonlyMap<string, number>;
}

function effectiveGraph(migrations: readonly Migration[], ledger: readonly AppliedMigration[], analysis: Analysis): EffectiveGraph {
  const rows = new Set(ledger.filter((r) => r.state === LedgerState.APPLIED).map((r) => r.id));
  // Also the ids a squash in effect replaces that are gone from the bundle (pruned): others may still depend on them.
  const { replacedBy } = analysis;
  const byId = new Map<string, Migration>();
  const deps = new Map<string, string[]>();
  const applied = new Set<string>();
  const rank = new Map<string, number>();
  migrations.forEach((m, index) => {
    if (replacedBy.has(m.id)) return;
    byId.set(m.id, m);
    rank.set(m.id, index);
    const inEffect = m.directives.replaces.some((id) => replacedBy.get(id) === m.id);
    // As the forward planner does: a squash not in effect waits for the originals it replaces.
    const own = inEffect || m.directives.replaces.length === 0 ? m.dependencies : [...m.dependencies, ...m.directives.replaces];
    deps.set(m.id, own.map((d) => replacedBy.get(d) ?? d).filter((d) => d !== m.id));
    const allOriginals = inEffect && m.directives.replaces.every((id) => rows.has(id));
    if (rows.has(m.id) || allOriginals) applied.add(m.id);
  });
  return { byId, deps, applied, replacedBy, rows, rank };
}

/** The target and everything it depends on, transitively; empty for `zero` targets. */
function targetClosure(parsed: Target, text: string, graph: EffectiveGraph): Set<string> {
  if (parsed.kind === 'app-zero') {
    if (![...graph.byId.values()].some((m) => m.app === parsed.app)) throw new TargetUnknownError(text, `the bundle has no migrations of the app ${parsed.app}`);
    return new Set();
  }
  if (parsed.kind === 'zero') return new Set();
  const squash = graph.replacedBy.get(parsed.id);
  if (squash) throw new TargetReplacedError(parsed.id, squash);
  if (!graph.byId.has(parsed.id)) throw new TargetUnknownError(text, 'the bundle has no such migration');
  const closure = new Set([parsed.id]);
  const queue = [parsed.id];
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    for (const dep of graph.deps.get(id) ?? []) {
      if (closure.has(dep)) continue;
      closure.add(dep);
      queue.push(dep);
    }
  }
  return closure;
}

/** Whether an applied migration outside the closure is reverted for itself (not only as a dependent). */
function inScope(parsed: Target, m: Migration): boolean {
  if (parsed.kind === 'zero') return true;
  if (parsed.kind === 'app-zero') return m.app === parsed.app;
  return m.app === parsed.id.slice(0, parsed.id.indexOf('/'));
}

/** `seeds` and every applied node that depends on one of them, transitively. */
function withDependents(seeds: readonly string[], graph: EffectiveGraph): Set<string> {
  const dependents = new Map<string, string[]>();
  for (const id of graph.applied) {
    for (const dep of graph.deps.get(id) ?? []) {
      const list = dependents.get(dep);
      if (list) list.push(id);
      else dependents.set(dep, [id]);
    }
  }
  const reverted = new Set(seeds);
  const queue = [...seeds];
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    for (const dependent of dependents.get(id) ?? []) {
      if (reverted.has(dependent)) continue;
      reverted.add(dependent);
      queue.push(dependent);
    }
  }
  return reverted;
}

function irreversibility(m: Migration): IrreversibleMigration[] {
  if (m.directives.irreversible) return [{ id: m.id, file: m.file, reason: 'irreversible' }];
  if (m.downSql === null) return [{ id: m.id, file: m.file, reason: 'no-reverse-script' }];
  return [];
}

/** `nodes` in bundle order. Dependents first: a node waits for every reverted node that depends on it; the newest ready node goes first. */
function revertOrder(nodes: readonly string[], graph: EffectiveGraph): PlanStep[] {
  const waitsFor = new Map<string, string[]>(nodes.map((id) => [id, []]));
  for (const id of nodes) for (const dep of graph.deps.get(id) ?? []) waitsFor.get(dep)?.push(id);
  const newestFirst = new Map(nodes.map((id) => [id, -(graph.rank.get(id) as number)]));
  const { order } = topologicalOrder(nodes, waitsFor, newestFirst);
  return order.map((id) => {
    const migration = graph.byId.get(id) as Migration;
    const rows = [id, ...migration.directives.replaces].filter((row) => graph.rows.has(row));
    return { kind: 'revert', migration, rows };
  });
}
