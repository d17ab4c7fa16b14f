import { readSql } from './catalog';
import { dependenciesOf, dependencyIndex } from './dependencies';
import { BundleInvalidError, MigrationsInvalidError, type FolderProblem } from './errors';
import { invalidMigrations } from './bundle-format';
import type { Directives, Migration } from './migration';

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
  // Built from what the bundle states; whatever is used of it is checked below, before it counts.
  const index = dependencyIndex(migrations as Migration[], problems);
  const seen = new Set<string>();
  const checked: Migration[] = [];
  const check = (m: Migration): void => {
    if (seen.has(m.id)) return;
    const { checksum, directives } = readSql(m.file, m.sql, problems);
    if (checksum !== m.checksum) throw new BundleInvalidError(origin, `the checksum of ${m.id} does not match its SQL (the bundle was edited)`);
    if (!sameDirectives(directives, m.directives)) throw new BundleInvalidError(origin, `the directives of ${m.id} do not match its SQL (the bundle was edited)`);
    seen.add(m.id);
    checked.push(m);
  };
  for (const m of used) check(m);
  for (const m of migrations) {
    if (m.directives.replaces.length === 0) continue;
    check(m);
    // A squash inherits its originals' dependencies, so theirs must be true as well.
    for (const id of m.directives.replaces) {
      const original = index.byId.get(id);
      if (original) check(original);
    }
  }
  for (const m of checked) {
    if (!sameList(dependenciesOf(m, index, problems), m.dependencies)) {
      throw new BundleInvalidError(origin, `the dependencies of ${m.id} do not match its directives (the bundle was edited)`);
    }
  }
  if (problems.length > 0) throw invalidMigrations(new MigrationsInvalidError(problems), origin);
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
