/**
 * Which other migrations of the bundle make an object a failing migration
 * makes too: for the explanations of "already exists". A text search of the
 * SQL, by the statements that make such objects; pure.
 */

/** The bundle's migrations, to say which others create the same object. */
export interface BundleKnowledge {
  /** In bundle order: the order a fresh database runs them in. */
  migrations: readonly { id: string; sql: string }[];
  /** Ids the ledger records as applied (and, at a failure, those the run applied before it: see {@link alsoApplied}). */
  applied: Pick<ReadonlySet<string>, 'has'>;
  /** True when the ledger recorded no applied migration as the run started, and the run applied none before the failure. */
  freshLedger?: boolean;
}

/**
 * `knowledge` with the ids `ran` gives counted as applied too: what a run
 * (or a rehearsal) applied before a failure made its objects, not a hand.
 * `ran` is called only when a failure is explained, so a run pays nothing.
 *
 * @example
 * const knowledge = alsoApplied(atStart, () => progress.applied.map((a) => a.id));
 */
export function alsoApplied(knowledge: BundleKnowledge, ran: () => readonly string[]): BundleKnowledge {
  let extra: Set<string> | undefined;
  const done = (): Set<string> => (extra ??= new Set(ran()));
  return {
    migrations: knowledge.migrations,
    applied: { has: (id) => knowledge.applied.has(id) || done().has(id) },
    get freshLedger() {
      return knowledge.freshLedger === true && done().size === 0;
    },
  };
}

/** The other migrations that make an object, split by whether the ledger records them as applied. */
export interface Makers {
  applied: string[];
  pending: string[];
}

const escape = (name: string): string => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** An optionally schema-qualified, optionally quoted name. */
const named = (name: string): string => String.raw`(?:"?\w+"?\s*\.\s*)?"?${escape(name)}"?(?![\w$])`;

function makersMatching(pattern: RegExp, self: string, knowledge: BundleKnowledge | undefined): Makers {
  const found: Makers = { applied: [], pending: [] };
  if (!knowledge) return found;
  for (const m of knowledge.migrations) {
    if (m.id !== self && pattern.test(m.sql)) (knowledge.applied.has(m.id) ? found.applied : found.pending).push(m.id);
  }
  return found;
}

/**
 * Other migrations of the bundle whose SQL creates `name` (a relation or a type).
 *
 * @example
 * creatorsOf('org', 'org/0002_x', knowledge); // { applied: ['org/0001_initial'], pending: [] }
 */
export function creatorsOf(name: string, self: string, knowledge: BundleKnowledge | undefined): Makers {
  const pattern = new RegExp(
    String.raw`create\s+(?:or\s+replace\s+)?(?:unique\s+)?(?:materialized\s+)?(?:table|index|view|sequence|type|domain)\s+(?:concurrently\s+)?(?:if\s+not\s+exists\s+)?${named(name)}`,
    'i',
  );
  return makersMatching(pattern, self, knowledge);
}

/**
 * Other migrations of the bundle whose SQL adds column `column` to `table`:
 * `ALTER TABLE … ADD [COLUMN]` within one statement, or `CREATE TABLE` with it.
 *
 * @example
 * addersOf('item', 'label', 'a/0002_label_short', knowledge); // { applied: ['a/0003_label'], pending: [] }
 */
export function addersOf(table: string, column: string, self: string, knowledge: BundleKnowledge | undefined): Makers {
  const col = String.raw`"?${escape(column)}"?(?![\w$])`;
  const pattern = new RegExp(
    String.raw`alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?${named(table)}[^;]*?\badd\s+(?:column\s+)?(?:if\s+not\s+exists\s+)?${col}` +
      String.raw`|create\s+(?:(?:temp|temporary|unlogged)\s+)?table\s+(?:if\s+not\s+exists\s+)?${named(table)}\s*\([^;]*?[(,]\s*${col}\s`,
    'i',
  );
  return makersMatching(pattern, self, knowledge);
}

/**
 * When `self` comes before the applied `maker` in the bundle, the words that
 * say so: it was merged after `maker` ran here, and a fresh database runs
 * the two the other way round. Empty otherwise.
 *
 * @example
 * mergedLate('a/0002_label_short', 'a/0003_label', knowledge);
 * // ' (a/0002_label_short comes before a/0003_label in the bundle: …)'
 */
export function mergedLate(self: string, maker: string, knowledge: BundleKnowledge | undefined): string {
  const order = knowledge?.migrations.map((m) => m.id) ?? [];
  const own = order.indexOf(self);
  if (own < 0 || own > order.indexOf(maker)) return '';
  return ` (${self} comes before ${maker} in the bundle: it was merged after ${maker} was applied here, and a fresh database runs the two the other way round)`;
}
