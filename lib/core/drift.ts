/**
 * Drift and adoption, decided on plain data: which objects differ from the
 * baseline, which objects a migration touches, and whether the live ones are
 * what it would have produced. Reading the objects is the adapters' job.
 */
import { ChangeKind, describeDifference, diffSchemas, objectKey, objectsUnder, type SchemaDifference, type SchemaObject } from './schema';

/** How many differences a message lists; the JSON form (`details`) has them all. */
const MAX_LISTED_DIFFERENCES = 20;

/** What a drift check found. */
export interface DriftReport {
  /** The ledger schema whose baseline this is (its own schema is never compared). */
  ledgerSchema: string;
  /**
   * False when there is no usable baseline, and nothing was compared: none is
   * stored yet (a fresh database, a ledger from before drift detection), or
   * it is `stale`.
   */
  baseline: boolean;
  /**
   * True when a baseline is stored but the ledger changed since (a run ended,
   * e.g. its connection lost, after a migration committed and before the
   * baseline was stored): its objects would show as drift, so nothing is
   * compared until the next run stores a new one.
   */
  stale: boolean;
  /**
   * Present when the baseline was stored by another major version of
   * PostgreSQL than the server's now (an upgrade, such as RDS 14 to 15): the
   * server's `pg_get_*def` functions word definitions differently across
   * major versions (15 stopped qualifying unambiguous columns in views), so
   * the baseline is `stale` and nothing is compared until a run stores a new one.
   */
  serverUpgrade?: { from: number; to: number };
  /** Every object that differs from the baseline, by kind and name; empty without a baseline. */
  differences: SchemaDifference[];
}

/**
 * Why a report compares nothing (`baseline` false), for a person.
 *
 * @example
 * nothingComparedBecause({ ledgerSchema: 'stagegate', baseline: false, stale: false, differences: [] }); // → 'no baseline yet'
 */
export function nothingComparedBecause(report: DriftReport): string {
  const upgrade = report.serverUpgrade;
  if (upgrade) return `the baseline was stored by PostgreSQL ${upgrade.from} and the server is now PostgreSQL ${upgrade.to}, which words definitions differently`;
  return report.stale ? 'the baseline is older than the ledger (a run ended before storing it)' : 'no baseline yet';
}

/** What a run does on drift: stop (`fail`, the default) or log it and go on (`warn`). */
export const DriftMode = {
  FAIL: 'fail',
  WARN: 'warn',
} as const;
export type DriftMode = (typeof DriftMode)[keyof typeof DriftMode];

/**
 * Lines for a person, one per item, at most `max` of them, then "… and N more".
 *
 * @example
 * listLines(['a', 'b', 'c'], 2); // → ['  - a', '  - b', '  … and 1 more']
 */
export function listLines(items: readonly string[], max = MAX_LISTED_DIFFERENCES): string[] {
  const lines = items.slice(0, max).map((item) => `  - ${item}`);
  if (items.length > max) lines.push(`  … and ${items.length - max} more`);
  return lines;
}

/**
 * The differences of a drift report as lines ("column app.org.type_id added outside migrations (integer)").
 *
 * @example
 * driftLines(report.differences).join('\n');
 */
export function driftLines(differences: readonly SchemaDifference[], max = MAX_LISTED_DIFFERENCES): string[] {
  return listLines(differences.map((d) => describeDifference(d, 'outside migrations')), max);
}

/**
 * One difference between what a migration would produce (`expected`) and the
 * live database (`actual`), for a person: "column app.org.type: live
 * integer, migration bigint".
 *
 * @example
 * describeAdoptionDifference({ kind: 'column', name: 'app.org.type', change: 'changed', expected: 'bigint', actual: 'integer' });
 */
export function describeAdoptionDifference(d: SchemaDifference): string {
  const what = `${d.kind} ${d.name}`;
  if (d.change === ChangeKind.CHANGED) return `${what}: live ${d.actual ?? ''}, migration ${d.expected ?? ''}`;
  if (d.change === ChangeKind.REMOVED) return `${what}: missing on the live database, the migration makes it (${d.expected ?? ''})`;
  return `${what}: on the live database (${d.actual ?? ''}), the migration does not make it`;
}

/** The verdict on one adoption. */
export interface AdoptionProof {
  /** Keys (`kind<TAB>name`) of the objects the migration adds, changes or removes. */
  touched: string[];
  /** The live objects under those keys: what the baseline takes on after adoption. */
  live: SchemaObject[];
  /** How the live objects under those keys differ from what the migration produces; empty = proven. */
  differences: SchemaDifference[];
}

/**
 * Compares the live objects a migration touches with what it produces.
 * `before` and `after` are a scratch database's objects before and after the
 * migration ran there (with every migration it depends on applied first);
 * the objects it touched are those that differ between the two. For a table
 * it touched, everything under it (columns, constraints, indexes, triggers)
 * is compared, so a column added by hand to an adopted table is a difference.
 *
 * @example
 * const proof = proveAdoption(before, after, live);
 * if (proof.touched.length > 0 && proof.differences.length === 0) // adopt
 */
export function proveAdoption(before: readonly SchemaObject[], after: readonly SchemaObject[], live: readonly SchemaObject[]): AdoptionProof {
  const touched = diffSchemas(before, after).map(objectKey);
  const keys = new Set(touched);
  const liveObjects = objectsUnder(live, keys);
  return { touched, live: liveObjects, differences: diffSchemas(objectsUnder(after, keys), liveObjects) };
}
