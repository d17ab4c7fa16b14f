import { factsOf } from './bundle-facts';
import { readSql } from './catalog';
import { isPlainChecksumOf } from './checksum';
import { dependenciesOf, dependencyIndex, type DependencyIndex } from './dependencies';
import { BundleInvalidError, MigrationsInvalidError, type FolderProblem } from './errors';
import { invalidMigrations } from './bundle-format';
import { compareNumbers, hasDirectives, squashesOf, type Directives, type Migration } from './migration';

/**
 * Verify what you use: recomputes, from the SQL, what a bundle pinned by its
 * hash states about the migrations about to run (checksum, directives,
 * dependencies) and refuses the bundle when a statement is false. Squashes
 * are checked too, whatever runs, because their `replaces` decide what the
 * plan skips. Migrations that will not run are not read at all.
 * Throws `BundleInvalidError`, as loading an edited bundle in full would.
 *
 * @example
 * verifyClaims(bundle.migrations, steps.map((s) => s.migration), bundle.origin);
 */
export function verifyClaims(migrations: readonly Migration[], used: readonly Migration[], origin: string): void {
  if (used.length === 0) return;
  const problems: FolderProblem[] = [];
  const facts = factsOf(migrations);
  // A decoded bundle that states no directive has no squash: no pass over it to look for one.
  const squashes = facts?.noDirectives === true ? [] : squashesOf(migrations);
  // Built from what the bundle states, only when needed; whatever is used of it is checked below, before it counts.
  let index: DependencyIndex | undefined;
  const indexed = (): DependencyIndex => (index ??= dependencyIndex(migrations as Migration[], problems));
  if (squashes.length > 0) {
    checkDependencies(migrations, checkWithSquashes(used, squashes, indexed, origin, problems), null, indexed, origin, problems);
  } else {
    // What the decoder found applies to the used migrations found in its array, in bundle order (as `plan` returns them).
    const at = facts ? positions(migrations, used) : null;
    // Each used migration is checked once, in order, and none other: no set, no copy of the list.
    for (let k = 0; k < used.length; k += 1) checkSql(used[k] as Migration, origin, problems, at !== null && facts?.marked[at[k] as number] === 0);
    const derived = at !== null && facts?.dependenciesDerived === true;
    // Derived, and no depends-on anywhere (checkSql found none in the SQL): every dependency is the one derived, nothing to compare.
    if (!derived || facts?.noDirectives !== true) checkDependencies(migrations, used, { derived }, indexed, origin, problems);
  }
  if (problems.length > 0) throw invalidMigrations(new MigrationsInvalidError(problems), origin);
}

/**
 * Refuses the bundle when a checked migration's dependencies are not what
 * its directives and the ids say. `plain` is for a bundle without squashes,
 * where a migration without depends-on follows the previous number of its
 * app; `derived`: the decoder derived exactly those (the bundle stated no
 * dependency), so they need no second look.
 */
function checkDependencies(
  migrations: readonly Migration[],
  checked: readonly Migration[],
  plain: { derived: boolean } | null,
  indexed: () => DependencyIndex,
  origin: string,
  problems: FolderProblem[],
): void {
  const previous = plain !== null && !plain.derived ? previousGroups(migrations, checked) : null;
  for (let k = 0; k < checked.length; k += 1) {
    const m = checked[k] as Migration;
    const implicit = m.directives.dependsOn.length === 0;
    if (plain?.derived === true && implicit) continue;
    const same =
      previous && implicit
        ? sameIds(m.dependencies, migrations, previous.starts[k] as number, previous.ends[k] as number)
        : sameList(dependenciesOf(m, indexed(), problems), m.dependencies);
    if (!same) throw new BundleInvalidError(origin, `the dependencies of ${m.id} do not match its directives (the bundle was edited)`);
  }
}

/**
 * With squashes: checks the used migrations, every squash and the originals
 * each replaces, each once, in that order, and returns what it checked.
 */
function checkWithSquashes(used: readonly Migration[], squashes: readonly Migration[], indexed: () => DependencyIndex, origin: string, problems: FolderProblem[]): Migration[] {
  const seen = new Set<string>();
  const checked: Migration[] = [];
  const check = (m: Migration): void => {
    // Steps name each migration once; only squashes and their originals can come twice.
    if (seen.has(m.id)) return;
    checkSql(m, origin, problems);
    seen.add(m.id);
    checked.push(m);
  };
  for (const m of used) check(m);
  for (const m of squashes) {
    check(m);
    // A squash inherits its originals' dependencies, so theirs must be true as well.
    for (const id of m.directives.replaces) {
      const original = indexed().byId.get(id);
      if (original) check(original);
    }
  }
  return checked;
}

/**
 * Refuses `m` when its checksum or directives are not what its SQL says.
 * Most SQL has no directive and no CR, BOM or NUL: then only the hash is
 * computed, without the objects `readSql` returns (10,000 of them on a
 * fresh database). `knownPlain`: the decoder found none of them in its text
 * (see `bundle-facts.ts`), so they are not searched for again.
 */
function checkSql(m: Migration, origin: string, problems: FolderProblem[], knownPlain = false): void {
  const { sql } = m;
  const plain = knownPlain || sql.indexOf('stagegate:') < 0 && sql.indexOf('\r') < 0 && sql.indexOf('\0') < 0 && sql.charCodeAt(0) !== 0xfeff;
  const facts = plain ? null : readSql(m.file, sql, problems);
  if (facts ? facts.checksum !== m.checksum : !isPlainChecksumOf(m.checksum, sql)) throw new BundleInvalidError(origin, `the checksum of ${m.id} does not match its SQL (the bundle was edited)`);
  if (facts ? !sameDirectives(facts.directives, m.directives) : hasDirectives(m.directives)) throw new BundleInvalidError(origin, `the directives of ${m.id} do not match its SQL (the bundle was edited)`);
}

/** Indexes into the bundle's migrations: for the k-th used one, the half-open range [starts[k], ends[k]). */
interface Ranges {
  starts: Int32Array;
  ends: Int32Array;
}

/**
 * For each of `used`, the range of `migrations` that holds the previous
 * number of its app (what `dependenciesOf` finds without squashes and
 * without depends-on), in one pass over the bundle instead of an index and
 * a binary search per migration. Needs the bundle in id order and `used` in
 * bundle order, as `plan` returns the steps of a bundle whose dependencies
 * all point backwards; returns null otherwise, and the index answers.
 */
function previousGroups(migrations: readonly Migration[], used: readonly Migration[]): Ranges | null {
  const ranges = { starts: new Int32Array(used.length), ends: new Int32Array(used.length) };
  let found = 0;
  let groupStart = 0;
  let previousStart = -1;
  for (let i = 0; i < migrations.length && found < used.length; i += 1) {
    const m = migrations[i] as Migration;
    const before = migrations[i - 1];
    if (before && before.app !== m.app) {
      if (before.app > m.app) return null;
      previousStart = -1;
      groupStart = i;
    } else if (before) {
      const order = compareNumbers(before.number, m.number);
      if (order > 0) return null;
      if (order < 0) {
        previousStart = groupStart;
        groupStart = i;
      }
    }
    if (m === used[found]) {
      ranges.starts[found] = previousStart < 0 ? i : previousStart;
      ranges.ends[found] = previousStart < 0 ? i : groupStart;
      found += 1;
    }
  }
  return found === used.length ? ranges : null;
}

/** The index of each of `used` in `migrations`, when all are there in that order; null otherwise. */
function positions(migrations: readonly Migration[], used: readonly Migration[]): Int32Array | null {
  const at = new Int32Array(used.length);
  let found = 0;
  for (let i = 0; i < migrations.length && found < used.length; i += 1) {
    if (migrations[i] === used[found]) {
      at[found] = i;
      found += 1;
    }
  }
  return found === used.length ? at : null;
}

/** True when `ids` are the ids of `migrations[start..end)`, in that order. */
function sameIds(ids: readonly string[], migrations: readonly Migration[], start: number, end: number): boolean {
  if (ids.length !== end - start) return false;
  for (let k = 0; k < ids.length; k += 1) if (ids[k] !== (migrations[start + k] as Migration).id) return false;
  return true;
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

function sameDirectives(a: Directives, b: Directives): boolean {
  return (
    a.noTransaction === b.noTransaction &&
    a.irreversible === b.irreversible &&
    sameList(a.dependsOn, b.dependsOn) &&
    sameList(a.replaces, b.replaces) &&
    a.allow.length === b.allow.length &&
    a.allow.every((x, i) => x.rule === b.allow[i]?.rule && x.reason === b.allow[i]?.reason)
  );
}
