/**
 * Which other migrations of the bundle make an object a failing migration
 * makes too: for the explanations of "already exists". A text search of the
 * SQL, by the statements that make such objects, with names compared as
 * PostgreSQL reads them; linear in the SQL's length; pure.
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

/** One identifier as written: double-quoted (a quote inside doubled) or bare. */
const IDENT = String.raw`(?:"(?:[^"]|"")*"|[A-Za-z_\u0080-\uFFFF][\w$\u0080-\uFFFF]*)`;
/** An optionally schema-qualified name; the object's own identifier is the group. */
const QUALIFIED = String.raw`(?:${IDENT}\s*\.\s*)?(${IDENT})`;

/**
 * Each pattern finds the start of a statement that makes an object and
 * captures the object's name: no span of any length between two parts, so
 * a search is linear in the SQL's length however many there are.
 */
const CREATES = new RegExp(
  String.raw`create\s+(?:or\s+replace\s+)?(?:unique\s+)?(?:materialized\s+)?(?:table|index|view|sequence|type|domain)\s+(?:concurrently\s+)?(?:if\s+not\s+exists\s+)?${QUALIFIED}`,
  'gi',
);
const ALTERS_TABLE = new RegExp(String.raw`alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?${QUALIFIED}`, 'gi');
const ADDS_COLUMN = new RegExp(String.raw`\badd\s+(?:column\s+)?(?:if\s+not\s+exists\s+)?(${IDENT})`, 'gi');
const CREATES_TABLE = new RegExp(String.raw`create\s+(?:(?:temp|temporary|unlogged)\s+)?table\s+(?:if\s+not\s+exists\s+)?${QUALIFIED}\s*(?=\()`, 'gi');
/** A column at the start of a table's element list: after its opening parenthesis or a comma. */
const LISTS_COLUMN = new RegExp(String.raw`[(,]\s*(${IDENT})\s`, 'g');

/**
 * The name PostgreSQL gives an identifier as written: a quoted one as it
 * stands (without its quotes), a bare one folded to lower case (ASCII
 * letters only, as in a UTF-8 database).
 *
 * @example
 * identifierName('"Users"'); // 'Users'
 * identifierName('Users'); // 'users'
 */
export function identifierName(written: string): string {
  if (written.startsWith('"')) return written.slice(1, -1).replace(/""/g, '"');
  return written.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** The end of the first match of `pattern` in `text`, from `from`, whose group names `name`; -1 when none does. */
function endOfFirst(pattern: RegExp, text: string, name: string, from = 0): number {
  pattern.lastIndex = from;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (identifierName(match[1] as string) === name) return pattern.lastIndex;
  }
  return -1;
}

/** True when `sql` creates `name` (a relation, an index or a type). */
const creates = (sql: string, name: string): boolean => endOfFirst(CREATES, sql, name) >= 0;

/** True when one `;`-free span of `sql` alters `table` and, after that, adds `column`, or creates `table` listing `column`. */
function adds(sql: string, table: string, column: string): boolean {
  return sql.split(';').some((span) => {
    const altered = endOfFirst(ALTERS_TABLE, span, table);
    if (altered >= 0 && endOfFirst(ADDS_COLUMN, span, column, altered) >= 0) return true;
    const created = endOfFirst(CREATES_TABLE, span, table);
    return created >= 0 && endOfFirst(LISTS_COLUMN, span, column, created) >= 0;
  });
}

function makersMatching(makes: (sql: string) => boolean, self: string, knowledge: BundleKnowledge | undefined): Makers {
  const found: Makers = { applied: [], pending: [] };
  if (!knowledge) return found;
  for (const m of knowledge.migrations) {
    if (m.id !== self && makes(m.sql)) (knowledge.applied.has(m.id) ? found.applied : found.pending).push(m.id);
  }
  return found;
}

/**
 * Other migrations of the bundle whose SQL creates `name` (a relation or a
 * type), as the catalog spells it: `create table Users` makes `users`,
 * `create table "Users"` makes `Users`.
 *
 * @example
 * creatorsOf('org', 'org/0002_x', knowledge); // { applied: ['org/0001_initial'], pending: [] }
 */
export function creatorsOf(name: string, self: string, knowledge: BundleKnowledge | undefined): Makers {
  return makersMatching((sql) => creates(sql, name), self, knowledge);
}

/**
 * Other migrations of the bundle whose SQL adds column `column` to `table`
 * (both as the catalog spells them, see {@link identifierName}):
 * `ALTER TABLE … ADD [COLUMN]` within one statement, or `CREATE TABLE` with it.
 *
 * @example
 * addersOf('item', 'label', 'a/0002_label_short', knowledge); // { applied: ['a/0003_label'], pending: [] }
 */
export function addersOf(table: string, column: string, self: string, knowledge: BundleKnowledge | undefined): Makers {
  return makersMatching((sql) => adds(sql, table, column), self, knowledge);
}

/**
 * The pending migrations of the bundle that make an object drift found
 * added (a table, view, sequence or type it creates, a column it adds), in
 * bundle order: a hand-made object one of them makes is for `stagegate
 * adopt` to prove. Names are the catalog's (`public.refunds`, `public.refunds.amount`).
 *
 * @example
 * pendingMakersOf([{ kind: 'table', name: 'public.refunds', change: 'added', expected: null, actual: 'table' }], knowledge); // ['shop/0003_refunds']
 */
export function pendingMakersOf(added: readonly { kind: string; name: string; change: string }[], knowledge: BundleKnowledge): string[] {
  const found = new Set<string>();
  for (const object of added) {
    if (object.change !== 'added') continue;
    const parts = object.name.split('.');
    const name = parts[parts.length - 1] as string;
    const makers =
      object.kind === 'column' && parts.length >= 2
        ? addersOf(parts[parts.length - 2] as string, name, '', knowledge)
        : RELATION_KINDS.has(object.kind)
          ? creatorsOf(name, '', knowledge)
          : null;
    for (const id of makers?.pending ?? []) found.add(id);
  }
  return knowledge.migrations.map((m) => m.id).filter((id) => found.has(id));
}

/** The kinds of object a `CREATE …` of {@link creatorsOf} makes under their own name. */
const RELATION_KINDS = new Set(['table', 'view', 'sequence', 'type', 'index']);

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
