import { MigrationExistsError, UsageError } from './errors';
import { parseMigrationId } from './migration';

/** What `stagegate new` is asked for. */
export interface NewMigrationRequest {
  app: string;
  name: string;
  /** Ids the new migration depends on, beyond the previous number of its app. */
  dependsOn: readonly string[];
}

/** The files `stagegate new` writes, relative to the migrations folder. */
export interface NewMigration {
  id: string;
  file: string;
  downFile: string;
  sql: string;
  downSql: string;
}

const NUMBERED = /^([a-z][a-z0-9_]*)\/([0-9]+)_([^/]*?)(\.down)?\.sql$/;
const DEFAULT_WIDTH = 4;

/**
 * Works out the next migration of an app from the files already in the
 * folder: one more than the highest number in that app (reverse scripts and
 * oddly named files count too, so no number is reused), zero-padded to the
 * width the app uses (4 for a new app, which starts at 0001). Refuses a name
 * the app already has, an invalid app or name, and a dependency that is not
 * in the folder.
 *
 * @example
 * nextMigration(['shop/0001_orders.sql'], { app: 'shop', name: 'items', dependsOn: [] }).file; // 'shop/0002_items.sql'
 */
export function nextMigration(existing: readonly string[], request: NewMigrationRequest): NewMigration {
  const inApp = existing.map((path) => NUMBERED.exec(path)).filter((m): m is RegExpExecArray => m !== null && m[1] === request.app);
  const highest = inApp.reduce((max, m) => (BigInt(m[2] as string) > max ? BigInt(m[2] as string) : max), 0n);
  const width = Math.max(DEFAULT_WIDTH, ...inApp.map((m) => (m[2] as string).length));
  const id = `${request.app}/${(highest + 1n).toString().padStart(width, '0')}_${request.name}`;
  if (!parseMigrationId(id)) {
    throw new UsageError(
      `stagegate new: "${id.slice(0, 80)}" is not a valid migration id.`,
      'Use an app matching [a-z][a-z0-9_]* and a name matching [a-z0-9_]+ (e.g. stagegate new organization add_type), at most 200 characters in all.',
    );
  }
  const sameName = inApp.find((m) => m[3] === request.name && m[4] === undefined);
  if (sameName) throw new MigrationExistsError(sameName[0]);
  const known = new Set(existing.map((path) => NUMBERED.exec(path)).filter((m) => m && !m[4]).map((m) => (m as RegExpExecArray)[0].replace(/\.sql$/, '')));
  const unknown = request.dependsOn.filter((dep) => !known.has(dep));
  if (unknown.length > 0) {
    throw new UsageError(`stagegate new: --depends-on ${unknown.join(', ')}: no such migration in the folder.`, 'Give the id of an existing migration, app/NNNN_name, as in its file name without .sql.');
  }
  const directives = [...new Set(request.dependsOn)].map((dep) => `-- stagegate:depends-on ${dep}\n`).join('');
  const sql = `${directives}-- ${id}: what this changes, and why it is safe while the API version before it still serves.\n`;
  return { id, file: `${id}.sql`, downFile: `${id}.down.sql`, sql, downSql: '' };
}
