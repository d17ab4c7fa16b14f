/**
 * Migrations merged late: pending here, while a migration that depends on
 * them is already applied (a branch's `0005` merged after `0006` ran on
 * this stage). They still run, but after their dependents, so this stage
 * applies them in another order than a fresh database does. Pure.
 */
import type { Migration } from './migration';

/**
 * For each pending id that an applied migration depends on, those applied
 * dependents, in bundle order. Empty when nothing was merged late.
 *
 * @example
 * appliedDependents(bundle.migrations, new Set(['a/0004_x', 'a/0006_z']), ['a/0005_y']);
 * // Map { 'a/0005_y' => ['a/0006_z'] }
 */
export function appliedDependents(migrations: readonly Migration[], applied: ReadonlySet<string>, pending: readonly string[]): Map<string, string[]> {
  const late = new Map<string, string[]>();
  if (applied.size === 0 || pending.length === 0) return late;
  const waiting = new Set(pending);
  for (const m of migrations) {
    if (!applied.has(m.id)) continue;
    for (const dep of m.dependencies) {
      if (!waiting.has(dep)) continue;
      const dependents = late.get(dep);
      if (dependents) dependents.push(m.id);
      else late.set(dep, [m.id]);
    }
  }
  return late;
}
