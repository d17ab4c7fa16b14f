import { array, boolean, checkShape, fail, integer, isObject, nullable, string, strictObject, describe, type Check } from './bundle-shape';
import { MAX_ID_LENGTH, type Directives } from './migration';

/** The JSON of a version 1 bundle, checked for shape: every field present, of its type, and nothing else. */
export interface BundleDocument {
  format: string;
  formatVersion: number;
  checksumVersion: number;
  migrations: BundleEntry[];
}

/** One migration as the bundle states it: the claims that loading checks against the SQL. */
export interface BundleEntry {
  id: string;
  file: string;
  checksum: string;
  directives: Directives;
  dependencies: string[];
  sql: string;
  downSql: string | null;
}

const ids = array(string(MAX_ID_LENGTH));

/** The directives as both bundle versions write them. */
export const directivesShape = strictObject({
  dependsOn: ids,
  replaces: ids,
  noTransaction: boolean,
  irreversible: boolean,
  allow: array(strictObject({ rule: string(), reason: string() })),
});

const entry = strictObject({
  id: string(MAX_ID_LENGTH),
  file: string(MAX_ID_LENGTH + 16),
  checksum: string(),
  directives: directivesShape,
  dependencies: ids,
  sql: string(),
  downSql: nullable(string()),
});

const ENTRY_KEYS = 7;
const DIRECTIVE_KEYS = 5;
const isIdList = (value: unknown): boolean => Array.isArray(value) && value.every((id) => typeof id === 'string' && id.length <= MAX_ID_LENGTH);

/**
 * The same test as `entry`, straight-line: it runs 10,000 times per load.
 * Only when it says no does `entry` run, to name the problem.
 */
function entryIsValid(value: unknown): boolean {
  if (!isObject(value) || Object.keys(value).length !== ENTRY_KEYS) return false;
  const { id, file, checksum, directives: d, dependencies, sql, downSql } = value;
  if (typeof id !== 'string' || id.length > MAX_ID_LENGTH || typeof file !== 'string' || file.length > MAX_ID_LENGTH + 16) return false;
  if (typeof checksum !== 'string' || typeof sql !== 'string' || (downSql !== null && typeof downSql !== 'string') || !isIdList(dependencies)) return false;
  if (!isObject(d) || Object.keys(d).length !== DIRECTIVE_KEYS || !isIdList(d.dependsOn) || !isIdList(d.replaces)) return false;
  if (typeof d.noTransaction !== 'boolean' || typeof d.irreversible !== 'boolean' || !Array.isArray(d.allow)) return false;
  return d.allow.every((a: unknown) => isObject(a) && Object.keys(a).length === 2 && typeof a.rule === 'string' && typeof a.reason === 'string');
}

const entries: Check = (value, path) => {
  if (!Array.isArray(value)) fail(path, `expected an array, found ${describe(value)}`);
  for (let i = 0; i < value.length; i += 1) if (!entryIsValid(value[i])) entry(value[i], `${path}.${i}`);
};

const document = strictObject({ format: string(), formatVersion: integer, checksumVersion: integer, migrations: entries });

/**
 * Checks the shape of a parsed version 1 bundle JSON. Hand-written rather than a
 * schema library: it runs on every deploy over every entry, and it stops at
 * the first problem, which the message names by its path.
 * Throws `BundleInvalidError` ("unexpected structure at migrations.3.id: …").
 *
 * @example
 * const doc = parseBundleDocument(JSON.parse(text), 's3://deploys/stagegate/bundles/ab….json.gz');
 */
export function parseBundleDocument(json: unknown, origin: string): BundleDocument {
  checkShape(json, document, origin);
  return json as BundleDocument;
}
