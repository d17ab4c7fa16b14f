import { isUtf8 } from 'node:buffer';
import { directivesShape } from './bundle-document';
import { recordFacts, type StatedFacts } from './bundle-facts';
import { array, checkShape, describe, fail, integer, isObject, quotedKey, strictObject, string, type Check } from './bundle-shape';
import { CHECKSUM_VERSION } from './checksum';
import { DecodedMigration } from './decoded-migration';
import { BundleInvalidError } from './errors';
import { compareNumbers, hasDirectives, isMigrationId, MAX_ID_LENGTH, NO_DIRECTIVES, type Directives, type Migration } from './migration';

/**
 * Version 2 of the bundle content: one line of JSON with the metadata, then
 * the SQL texts one after another (UTF-8):
 *
 *     {"format":"stagegate-bundle","formatVersion":2,"checksumVersion":1,"ids":[…],"checksums":[…],
 *      "sqlLengths":[…],"downLengths":[…|null],"directives":{id: …},"dependencies":{id: […]}}\n
 *     <sql of ids[0]><its .down.sql, if any><sql of ids[1]>…
 *
 * Lengths count UTF-16 code units (JavaScript string lengths), so the text
 * is decoded once and each migration's SQL is a slice of it. `directives`
 * holds only migrations with at least one directive, `dependencies` only
 * those whose dependencies are not the implicit ones (the previous number
 * of their app): 10,000 migrations load from a small JSON, without an object
 * per migration to parse and check.
 */
export const FORMAT_VERSION_2 = 2;

interface HeaderV2 {
  format: string;
  formatVersion: number;
  checksumVersion: number;
  ids: string[];
  checksums: string[];
  sqlLengths: number[];
  downLengths: (number | null)[];
  directives: Record<string, Directives>;
  dependencies: Record<string, string[]>;
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The content (before gzip) of a version 2 bundle of `migrations`, which
 * must be sorted by id as `buildCatalog` returns them. Deterministic.
 *
 * @example
 * const content = encodeContentV2(buildCatalog(files));
 */
export function encodeContentV2(migrations: readonly Migration[]): Buffer {
  const ids = migrations.map((m) => m.id);
  const groups = new NumberGroups();
  const directives: Record<string, Directives> = {};
  const dependencies: Record<string, string[]> = {};
  const texts: string[] = [];
  migrations.forEach((m, i) => {
    if (hasDirectives(m.directives)) directives[m.id] = m.directives;
    const before = migrations[i - 1];
    groups.next(i, before && before.app === m.app ? compareNumbers(before.number, m.number) : NaN);
    if (!sameList(m.dependencies, ids.slice(groups.start, groups.end))) dependencies[m.id] = m.dependencies;
    texts.push(m.sql);
    if (m.downSql !== null) texts.push(m.downSql);
  });
  // Fixed key order, and ids (never integer-like) as keys in bundle order: the JSON is deterministic.
  const header = {
    format: 'stagegate-bundle',
    formatVersion: FORMAT_VERSION_2,
    checksumVersion: CHECKSUM_VERSION,
    ids,
    checksums: migrations.map((m) => m.checksum),
    sqlLengths: migrations.map((m) => m.sql.length),
    downLengths: migrations.map((m) => (m.downSql === null ? null : m.downSql.length)),
    directives,
    dependencies,
  };
  // JSON.stringify never writes a raw line break: the first one ends the header.
  return Buffer.from(`${JSON.stringify(header)}\n${texts.join('')}`, 'utf8');
}

/**
 * Walks migrations in id order: after `next(i, …)`, [start, end) are the
 * indexes of the previous number of migration i's app, what its
 * dependencies are without `depends-on` and without squashes (empty for
 * the first number of an app).
 */
class NumberGroups {
  start = 0;
  end = 0;
  private groupStart = 0;
  private previousStart = -1;

  /** `order`: how migration i - 1 compares with i by app and number (compareNumbers' sign), NaN for another app or none. */
  next(i: number, order: number): void {
    if (Number.isNaN(order)) {
      this.previousStart = -1;
      this.groupStart = i;
    } else if (order !== 0) {
      this.previousStart = this.groupStart;
      this.groupStart = i;
    }
    this.start = this.previousStart < 0 ? i : this.previousStart;
    this.end = this.previousStart < 0 ? i : this.groupStart;
  }
}

/** Columns of the header, checked item by item in one loop each (10,000 items); the path is built only for the first bad one. */
const strings = (max: number): Check => (value, path) => {
  if (!Array.isArray(value)) fail(path, `expected an array, found ${describe(value)}`);
  for (let i = 0; i < value.length; i += 1) {
    const item: unknown = value[i];
    if (typeof item !== 'string' || item.length > max) string(max)(item, `${path}.${i}`);
  }
};
const length: Check = (value, path) => {
  integer(value, path);
  if ((value as number) < 0) fail(path, 'is negative');
};
const isLength = (value: unknown): value is number => typeof value === 'number' && value >= 0 && value % 1 === 0;
const lengths = (orNull: boolean): Check => (value, path) => {
  if (!Array.isArray(value)) fail(path, `expected an array, found ${describe(value)}`);
  for (let i = 0; i < value.length; i += 1) {
    const item: unknown = value[i];
    if (!(orNull && item === null) && !isLength(item)) length(item, `${path}.${i}`);
  }
};
const byId = (check: Check): Check => (value, path) => {
  if (!isObject(value)) fail(path, `expected an object, found ${describe(value)}`);
  for (const key of Object.keys(value)) check(value[key], `${path}.${quotedKey(key)}`);
};
const anArray: Check = (value, path) => {
  if (!Array.isArray(value)) fail(path, `expected an array, found ${describe(value)}`);
};

/** The header's shape, each column's items included. */
const headerShape = (columns: (check: Check) => Check): Check =>
  strictObject({
    format: string(),
    formatVersion: integer,
    checksumVersion: integer,
    ids: columns(strings(MAX_ID_LENGTH)),
    checksums: columns(strings(Infinity)),
    sqlLengths: columns(lengths(false)),
    downLengths: columns(lengths(true)),
    directives: byId(directivesShape),
    dependencies: byId(array(string(MAX_ID_LENGTH))),
  });
const fullShape = headerShape((check) => check);
/** Only that the columns are arrays: the decoding loop tests their items as it reads them (one pass, not five). */
const outerShape = headerShape(() => anArray);

/**
 * The migrations a version 2 bundle states, from its parsed header line and
 * the bytes after it. Checks shape, that the columns agree and account for
 * the text exactly, ids (valid, each once, in id order) and that every key
 * of `directives` and `dependencies` is a migration of the bundle. Claims
 * are not recomputed here (see `decodeBundle`). Throws `BundleInvalidError`;
 * a problem of shape anywhere in the header comes first, as when the shape
 * was checked in full before anything else.
 *
 * @example
 * const migrations = decodeContentV2(JSON.parse(firstLine), rest, 'b.json.gz');
 */
export function decodeContentV2(json: unknown, sqlBytes: Uint8Array, origin: string): Migration[] {
  checkShape(json, outerShape, origin);
  const header = json as HeaderV2;
  // Any refusal checks the full shape first, which throws instead when it finds a problem.
  const refuse = (reason: string): never => {
    checkShape(json, fullShape, origin);
    throw new BundleInvalidError(origin, reason);
  };
  const { ids, checksums, sqlLengths, downLengths } = header;
  if (checksums.length !== ids.length || sqlLengths.length !== ids.length || downLengths.length !== ids.length) {
    refuse(`its header lists ${ids.length} ids, ${checksums.length} checksums, ${sqlLengths.length} SQL lengths and ${downLengths.length} reverse lengths; they must agree`);
  }
  if (!isUtf8(sqlBytes)) refuse('its SQL section is not valid UTF-8');
  const text = Buffer.from(sqlBytes.buffer, sqlBytes.byteOffset, sqlBytes.length).toString('utf8');
  // Usually both empty: then no lookup per migration, and `verifyClaims` knows it.
  const stated = { noDirectives: Object.keys(header.directives).length === 0, dependenciesDerived: Object.keys(header.dependencies).length === 0 };
  const migrations = decodeMigrations(header, text, stated, refuse);
  if (!stated.noDirectives) checkKeys(header.directives, 'directives', ids, origin);
  if (!stated.dependenciesDerived) checkKeys(header.dependencies, 'dependencies', ids, origin);
  recordFacts(migrations, text, sqlLengths, downLengths, stated);
  return migrations;
}

/** One pass over the columns: each item tested as it is read, each migration built in one piece. */
function decodeMigrations(header: HeaderV2, text: string, stated: StatedFacts, refuse: (reason: string) => never): Migration[] {
  const { ids, checksums, sqlLengths, downLengths } = header;
  const statedDirectives = stated.noDirectives ? null : header.directives;
  const statedDependencies = stated.dependenciesDerived ? null : header.dependencies;
  const migrations: Migration[] = [];
  const groups = new NumberGroups();
  // The previous migration's id parts, kept here: the migrations derive theirs when read.
  let previousId = '';
  let previousApp = '';
  let previousNumber = '';
  let previousName = '';
  let offset = 0;
  for (let i = 0; i < ids.length; i += 1) {
    const id = ids[i] as string;
    const checksum = checksums[i] as string;
    const downLength = downLengths[i] as number | null;
    if (typeof id !== 'string' || typeof checksum !== 'string' || !isLength(sqlLengths[i]) || (downLength !== null && !isLength(downLength))) refuse('its header is malformed');
    if (!isMigrationId(id)) refuse(`${JSON.stringify(id)} is not a migration id (expected app/NNNN_name)`);
    // The app has no `/` and the number no `_`: the first of each separates the parts. The app string is shared when it repeats.
    const slash = id.indexOf('/');
    const underscore = id.indexOf('_', slash);
    const app = i > 0 && previousApp.length === slash && id.startsWith(previousApp) ? previousApp : id.slice(0, slash);
    const number = id.slice(slash + 1, underscore);
    const name = id.slice(underscore + 1);
    const byNumber = i > 0 && previousApp === app ? compareNumbers(previousNumber, number) : NaN;
    // A higher number of the same app is in order and not a repeat: the usual case needs no other test.
    if (i > 0 && !(byNumber < 0)) checkOrder({ id: previousId, app: previousApp, name: previousName }, id, app, byNumber, name, refuse);
    groups.next(i, byNumber);
    const end = offset + (sqlLengths[i] as number);
    const downEnd = downLength === null ? end : end + downLength;
    if (downEnd > text.length) break;
    const directives = statedDirectives && Object.hasOwn(statedDirectives, id) ? (statedDirectives[id] as Directives) : NO_DIRECTIVES;
    const dependencies = statedDependencies && Object.hasOwn(statedDependencies, id) ? (statedDependencies[id] as string[]) : null;
    const sql = text.slice(offset, end);
    const downSql = downLength === null ? null : text.slice(end, downEnd);
    migrations.push(new DecodedMigration(id, app, sql, downSql, checksum, directives, ids, groups.start, groups.end, dependencies));
    previousId = id;
    previousApp = app;
    previousNumber = number;
    previousName = name;
    offset = downEnd;
  }
  if (migrations.length !== ids.length || offset !== text.length) {
    refuse(`its SQL section is ${text.length} characters long, but its header accounts for ${offset}${migrations.length === ids.length ? '' : ' and more'} (the bundle was edited or cut)`);
  }
  return migrations;
}

/** Refuses an id that repeats `previous` or comes before it in id order (`byNumber` as for `NumberGroups.next`). */
function checkOrder(previous: { id: string; app: string; name: string }, id: string, app: string, byNumber: number, name: string, refuse: (reason: string) => never): void {
  if (previous.id === id) refuse(`migration id ${id} appears twice`);
  // As compareIds: app, number by value, name, and the text itself for numbers equal in value (0001 and 01).
  const after = Number.isNaN(byNumber) ? previous.app < app : byNumber < 0 || (byNumber === 0 && (previous.name < name || (previous.name === name && previous.id < id)));
  if (!after) refuse(`its migrations are not in id order (${id} after ${previous.id})`);
}

/** Every key of a sparse section must be a migration of the bundle. */
function checkKeys(section: Record<string, unknown>, name: string, ids: readonly string[], origin: string): void {
  const keys = Object.keys(section);
  const known = new Set(ids);
  const unknown = keys.find((key) => !known.has(key));
  if (unknown !== undefined) throw new BundleInvalidError(origin, `its ${name} name ${JSON.stringify(quotedKey(unknown))}, which is not a migration of the bundle`);
}
