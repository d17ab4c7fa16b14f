import { ProblemCode, type FolderProblem } from './errors';
import { findCycle } from './graph';
import { compareIds, compareNumbers, parseMigrationId, type Migration } from './migration';

/**
 * Fills in each migration's `dependencies` (explicit `depends-on` plus the
 * implicit previous number of its app) and returns every problem of the
 * graph: unknown dependencies, bad `replaces`, conflicts and cycles.
 *
 * Squashes (migrations with `replaces`): a dependency on a replaced id stays
 * as written here; the planner maps it to the squash when the squash is in
 * effect. A squash depends on what came before the range it replaces, on its
 * explicit `depends-on`, and on what the replaced migrations depended on
 * outside the range; a replaced migration never depends on its own squash.
 */
export function resolveDependencies(migrations: Migration[]): FolderProblem[] {
  const problems: FolderProblem[] = [];
  const index = dependencyIndex(migrations, problems);
  for (const m of migrations) if (m.directives.replaces.length === 0) m.dependencies = dependenciesOf(m, index, problems);
  for (const m of migrations) if (m.directives.replaces.length > 0) m.dependencies = dependenciesOf(m, index, problems);
  problems.push(...conflicts(index.byApp, index.replacedBy), ...cycles(migrations, index.replacedBy));
  return problems;
}

/** What resolving a migration's dependencies needs to know about all the others. */
export interface DependencyIndex {
  byId: Map<string, Migration>;
  /** Replaced id → the squash that replaces it. */
  replacedBy: Map<string, string>;
  byApp: Map<string, NumberGroups>;
}

/**
 * Indexes migrations for {@link dependenciesOf}; problems with `replaces`
 * directives go to `problems`.
 *
 * @example
 * const index = dependencyIndex(migrations, problems);
 */
export function dependencyIndex(migrations: Migration[], problems: FolderProblem[]): DependencyIndex {
  const byId = new Map(migrations.map((m) => [m.id, m]));
  const replacedBy = checkReplaces(migrations, byId, problems);
  return { byId, replacedBy, byApp: groupByApp(migrations) };
}

/**
 * The dependencies of one migration, as `resolveDependencies` sets them. A
 * squash inherits the dependencies its replaced migrations have in `index`.
 *
 * @example
 * dependenciesOf(index.byId.get('org/0002_type')!, index, problems); // ['org/0001_initial']
 */
export function dependenciesOf(m: Migration, index: DependencyIndex, problems: FolderProblem[]): string[] {
  return m.directives.replaces.length === 0
    ? ownDependencies(m, index.byApp, index.replacedBy, index.byId, problems)
    : squashDependencies(m, index.byApp, index.byId, index.replacedBy, problems);
}

function checkReplaces(migrations: Migration[], byId: Map<string, Migration>, problems: FolderProblem[]): Map<string, string> {
  const replacedBy = new Map<string, string>();
  for (const squash of migrations) {
    for (const id of squash.directives.replaces) {
      const target = byId.get(id);
      const reason =
        id === squash.id ? 'a migration cannot replace itself'
        : parseMigrationId(id)?.app !== squash.app ? `${id} belongs to another app; a squash replaces migrations of its own app only`
        : replacedBy.has(id) ? `${id} is already replaced by ${replacedBy.get(id)}`
        : target && target.directives.replaces.length > 0 ? `${id} is itself a squash; squash the originals instead`
        : null;
      if (reason) problems.push({ code: ProblemCode.BAD_REPLACES, file: squash.file, message: `stagegate:replaces ${id}: ${reason}` });
      else replacedBy.set(id, squash.id);
    }
  }
  return replacedBy;
}

/** An app's migrations grouped by number (numeric value), in ascending order. */
export type NumberGroups = { number: string; members: Migration[] }[];

function groupByApp(migrations: Migration[]): Map<string, NumberGroups> {
  const byApp = new Map<string, Migration[]>();
  for (const m of migrations) {
    const list = byApp.get(m.app);
    if (list) list.push(m);
    else byApp.set(m.app, [m]);
  }
  const grouped = new Map<string, NumberGroups>();
  for (const [app, list] of byApp) {
    const groups: NumberGroups = [];
    for (const m of [...list].sort((a, b) => compareNumbers(a.number, b.number))) {
      const last = groups[groups.length - 1];
      if (last && compareNumbers(last.number, m.number) === 0) last.members.push(m);
      else groups.push({ number: m.number, members: [m] });
    }
    grouped.set(app, groups);
  }
  return grouped;
}

/** The migrations with the highest number below `number`, skipping `exclude` (binary search, then a short walk back). */
function previousGroup(groups: NumberGroups, number: string, exclude: (m: Migration) => boolean): Migration[] {
  let low = 0;
  let high = groups.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (compareNumbers((groups[mid] as NumberGroups[number]).number, number) < 0) low = mid + 1;
    else high = mid;
  }
  for (let index = low - 1; index >= 0; index -= 1) {
    const group = (groups[index] as NumberGroups[number]).members;
    // The usual group is one migration: return it as it is rather than a filtered copy.
    if (group.length === 1 && !exclude(group[0] as Migration)) return group;
    const members = group.length === 1 ? [] : group.filter((m) => !exclude(m));
    if (members.length > 0) return members;
  }
  return [];
}

function explicitDependencies(m: Migration, byId: Map<string, Migration>, replacedBy: Map<string, string>, problems: FolderProblem[]): string[] {
  const deps: string[] = [];
  for (const id of m.directives.dependsOn) {
    if (id === m.id) problems.push({ code: ProblemCode.CYCLE, file: m.file, message: `${m.id} depends on itself` });
    else if (!byId.has(id) && !replacedBy.has(id)) problems.push({ code: ProblemCode.UNKNOWN_DEPENDENCY, file: m.file, message: `depends on ${id}, which is not in the migrations folder (check the id: app/NNNN_name)` });
    else deps.push(id);
  }
  return deps;
}

function ownDependencies(m: Migration, byApp: Map<string, NumberGroups>, replacedBy: Map<string, string>, byId: Map<string, Migration>, problems: FolderProblem[]): string[] {
  const ownSquash = replacedBy.get(m.id);
  const previous = previousGroup(byApp.get(m.app) ?? [], m.number, (other) => other.id === m.id || other.id === ownSquash);
  const explicit = m.directives.dependsOn.length === 0 ? [] : explicitDependencies(m, byId, replacedBy, problems);
  return sortedUnique(explicit.length === 0 ? previous.map((p) => p.id) : [...explicit, ...previous.map((p) => p.id)]);
}

function squashDependencies(squash: Migration, byApp: Map<string, NumberGroups>, byId: Map<string, Migration>, replacedBy: Map<string, string>, problems: FolderProblem[]): string[] {
  const replaced = new Set(squash.directives.replaces);
  const numbers = squash.directives.replaces.map((id) => parseMigrationId(id)?.number).filter((n): n is string => n !== undefined);
  const lowest = numbers.reduce((a, b) => (compareNumbers(a, b) <= 0 ? a : b), squash.number);
  const before = previousGroup(byApp.get(squash.app) ?? [], lowest, (m) => m.id === squash.id || replaced.has(m.id) || replacedBy.get(m.id) === squash.id);
  const inherited = squash.directives.replaces.flatMap((id) => byId.get(id)?.dependencies ?? []);
  const all = [...explicitDependencies(squash, byId, replacedBy, problems), ...before.map((m) => m.id), ...inherited];
  return sortedUnique(all.filter((id) => !replaced.has(id) && id !== squash.id));
}

function conflicts(byApp: Map<string, NumberGroups>, replacedBy: Map<string, string>): FolderProblem[] {
  const problems: FolderProblem[] = [];
  for (const [app, groups] of byApp) {
    const live = groups.flatMap((g) => g.members).filter((m) => !replacedBy.has(m.id));
    const highest = live.reduce<string | null>((best, m) => (best === null || compareNumbers(m.number, best) > 0 ? m.number : best), null);
    const top = live.filter((m) => highest !== null && compareNumbers(m.number, highest) === 0);
    if (top.length < 2) continue;
    const next = String(BigInt(highest as string) + 1n).padStart((highest as string).length, '0');
    problems.push({
      code: ProblemCode.CONFLICT,
      file: (top[0] as Migration).file,
      message:
        `conflict in app ${app}: ${top.map((m) => m.file).join(' and ')} all have the highest number ${highest} (two branches each added a migration). ` +
        `Merge them: add ${app}/${next}_merge.sql (it may be empty); it depends on all of them automatically.`,
    });
  }
  return problems;
}

function cycles(migrations: Migration[], replacedBy: Map<string, string>): FolderProblem[] {
  const problems: FolderProblem[] = [];
  const squashes = new Map(migrations.filter((m) => m.directives.replaces.length > 0).map((m) => [m.id, m.directives.replaces]));
  const withSquashes = new Map<string, string[]>();
  const withOriginals = new Map<string, string[]>();
  for (const m of migrations) {
    if (!replacedBy.has(m.id)) withSquashes.set(m.id, m.dependencies.map((d) => replacedBy.get(d) ?? d).filter((d) => d !== m.id));
    if (!squashes.has(m.id)) withOriginals.set(m.id, m.dependencies.flatMap((d) => squashes.get(d) ?? [d]));
  }
  const seen = new Set<string>();
  // Without squashes both graphs are the same: check it once.
  for (const graph of squashes.size === 0 ? [withOriginals] : [withOriginals, withSquashes]) {
    const cycle = findCycle(graph);
    if (!cycle || seen.has(cycle.slice(0, -1).sort().join())) continue;
    seen.add(cycle.slice(0, -1).sort().join());
    const first = migrations.find((m) => m.id === cycle[0]) as Migration;
    problems.push({ code: ProblemCode.CYCLE, file: first.file, message: `dependency cycle: ${cycle.join(' -> ')}; remove one of these depends-on directives` });
  }
  return problems;
}

function sortedUnique(ids: string[]): string[] {
  // Most migrations depend on one other: nothing to sort.
  if (ids.length < 2) return ids;
  return [...new Set(ids)].sort(compareIds);
}
