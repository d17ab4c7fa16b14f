import { BundleInvalidError } from './errors';
import { MAX_ID_LENGTH, type Directives } from './migration';

/** The bundle's JSON, checked for shape: every field present, of its type, and nothing else. */
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

/** Keys are quoted in messages; a hostile bundle's keys are cut to this length. */
const MAX_QUOTED_KEY = 40;

/** A shape problem: where (`migrations.3.directives.replaces.0`) and what. */
class ShapeProblem {
  constructor(
    readonly path: string,
    readonly message: string,
  ) {}
}

type Check = (value: unknown, path: string) => void;

function fail(path: string, message: string): never {
  throw new ShapeProblem(path, message);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const string = (max?: number): Check => (value, path) => {
  if (typeof value !== 'string') fail(path, `expected a string, found ${describe(value)}`);
  if (max !== undefined && value.length > max) fail(path, `is longer than ${max} characters`);
};
const integer: Check = (value, path) => {
  if (!Number.isInteger(value)) fail(path, `expected an integer, found ${describe(value)}`);
};
const boolean: Check = (value, path) => {
  if (typeof value !== 'boolean') fail(path, `expected true or false, found ${describe(value)}`);
};
const nullable = (check: Check): Check => (value, path) => {
  if (value !== null) check(value, path);
};
const array = (item: Check): Check => (value, path) => {
  if (!Array.isArray(value)) fail(path, `expected an array, found ${describe(value)}`);
  for (let i = 0; i < value.length; i += 1) item(value[i], `${path}.${i}`);
};

/** An object with exactly these keys (none missing, none unknown), each passing its check. */
function strictObject(fields: Record<string, Check>): Check {
  const names = Object.keys(fields);
  return (value, path) => {
    if (!isObject(value)) fail(path, `expected an object, found ${describe(value)}`);
    for (const name of names) {
      const at = path === '' ? name : `${path}.${name}`;
      if (!(name in value)) fail(at, 'is required');
      (fields[name] as Check)(value[name], at);
    }
    if (Object.keys(value).length !== names.length) {
      const unknown = Object.keys(value).find((key) => !(key in fields)) ?? '';
      fail(path, `unrecognized key "${unknown.length > MAX_QUOTED_KEY ? `${unknown.slice(0, MAX_QUOTED_KEY)}…` : unknown}"`);
    }
  };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

const ids = array(string(MAX_ID_LENGTH));

const entry = strictObject({
  id: string(MAX_ID_LENGTH),
  file: string(MAX_ID_LENGTH + 16),
  checksum: string(),
  directives: strictObject({
    dependsOn: ids,
    replaces: ids,
    noTransaction: boolean,
    irreversible: boolean,
    allow: array(strictObject({ rule: string(), reason: string() })),
  }),
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
 * Checks the shape of a parsed bundle JSON. Hand-written rather than a
 * schema library: it runs on every deploy over every entry, and it stops at
 * the first problem, which the message names by its path.
 * Throws `BundleInvalidError` ("unexpected structure at migrations.3.id: …").
 *
 * @example
 * const doc = parseBundleDocument(JSON.parse(text), 's3://deploys/stagegate/bundles/ab….json.gz');
 */
export function parseBundleDocument(json: unknown, origin: string): BundleDocument {
  try {
    document(json, '');
  } catch (error) {
    if (!(error instanceof ShapeProblem)) throw error;
    throw new BundleInvalidError(origin, `unexpected structure at ${error.path || '(root)'}: ${error.message}`);
  }
  return json as BundleDocument;
}
