import { plainMigration, type Directives, type Migration } from './migration';

/**
 * A migration decoded from a version 2 bundle. What follows from its id
 * (`number`, `name`, `file`) and, unless the bundle states them, its
 * dependencies (the ids of the previous number of its app, a range of the
 * bundle's ids the decoder already knows) are computed when read, from
 * prototype getters: 10,000 decoded migrations then hold no string or array
 * of their own beyond their SQL, and the garbage collector has that much less
 * to copy while they all survive a cold run.
 *
 * Readers see a {@link Migration}. A copy must name its fields
 * (`plainMigration` does): a spread or `Object.keys` sees the own fields
 * only, the range of ids among them, and none of the derived ones.
 * `JSON.stringify` writes the plain migration.
 *
 * @example
 * const m = new DecodedMigration('org/0002_b', 'org', sql, null, checksum, NO_DIRECTIVES, ids, 0, 1, null);
 * m.file; // 'org/0002_b.sql'
 * m.dependencies; // ['org/0001_a'] when ids[0] is that id
 */
export class DecodedMigration implements Migration {
  // Declared only: class fields would define each property once more (as undefined) before the constructor sets it.
  declare readonly id: string;
  declare readonly app: string;
  declare readonly sql: string;
  declare readonly downSql: string | null;
  declare readonly checksum: string;
  declare readonly directives: Directives;
  /** Dependencies the bundle states, or null when they are `ids[from..to)`. */
  declare private readonly stated: string[] | null;
  declare private readonly ids: readonly string[];
  declare private readonly from: number;
  declare private readonly to: number;

  constructor(
    id: string,
    app: string,
    sql: string,
    downSql: string | null,
    checksum: string,
    directives: Directives,
    ids: readonly string[],
    from: number,
    to: number,
    stated: string[] | null,
  ) {
    this.id = id;
    this.app = app;
    this.sql = sql;
    this.downSql = downSql;
    this.checksum = checksum;
    this.directives = directives;
    this.stated = stated;
    this.ids = ids;
    this.from = from;
    this.to = to;
  }

  /** The number as written (`0003`): between the app's `/` and the first `_` after it. */
  get number(): string {
    const start = this.app.length + 1;
    return this.id.slice(start, this.id.indexOf('_', start));
  }

  get name(): string {
    return this.id.slice(this.id.indexOf('_', this.app.length + 1) + 1);
  }

  get file(): string {
    return `${this.id}.sql`;
  }

  /** A new array at each read when derived: a reader that keeps it keeps its own. */
  get dependencies(): string[] {
    return this.stated ?? this.ids.slice(this.from, this.to);
  }

  /** The plain migration, every field its own: what a log line or a result holds. */
  toJSON(): Migration {
    return plainMigration(this);
  }
}
