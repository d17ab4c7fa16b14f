import { BundleInvalidError } from './errors';

/** Keys are quoted in messages; a hostile bundle's keys are cut to this length. */
const MAX_QUOTED_KEY = 40;

/** A shape problem: where (`migrations.3.directives.replaces.0`) and what. */
class ShapeProblem {
  constructor(
    readonly path: string,
    readonly message: string,
  ) {}
}

/** Checks one value at `path`, throwing a shape problem (see {@link checkShape}) when it does not fit. */
export type Check = (value: unknown, path: string) => void;

/** Fails the check at `path`: {@link checkShape} turns it into a `BundleInvalidError` naming the path. */
export function fail(path: string, message: string): never {
  throw new ShapeProblem(path, message);
}

export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export const string = (max?: number): Check => (value, path) => {
  if (typeof value !== 'string') fail(path, `expected a string, found ${describe(value)}`);
  if (max !== undefined && value.length > max) fail(path, `is longer than ${max} characters`);
};
export const integer: Check = (value, path) => {
  if (!Number.isInteger(value)) fail(path, `expected an integer, found ${describe(value)}`);
};
export const boolean: Check = (value, path) => {
  if (typeof value !== 'boolean') fail(path, `expected true or false, found ${describe(value)}`);
};
export const nullable = (check: Check): Check => (value, path) => {
  if (value !== null) check(value, path);
};
export const array = (item: Check): Check => (value, path) => {
  if (!Array.isArray(value)) fail(path, `expected an array, found ${describe(value)}`);
  for (let i = 0; i < value.length; i += 1) item(value[i], `${path}.${i}`);
};

/** An object with exactly these keys (none missing, none unknown), each passing its check. */
export function strictObject(fields: Record<string, Check>): Check {
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
      fail(path, `unrecognized key "${quotedKey(unknown)}"`);
    }
  };
}

/** A key of a hostile bundle as a message may quote it: cut to a short length. */
export const quotedKey = (key: string): string => (key.length > MAX_QUOTED_KEY ? `${key.slice(0, MAX_QUOTED_KEY)}…` : key);

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/**
 * Runs `check` over a parsed bundle JSON. Throws `BundleInvalidError`
 * ("unexpected structure at migrations.3.id: …") at the first problem.
 *
 * @example
 * checkShape(json, strictObject({ format: string() }), 's3://deploys/stagegate/bundles/ab….json.gz');
 */
export function checkShape(json: unknown, check: Check, origin: string): void {
  try {
    check(json, '');
  } catch (error) {
    if (!(error instanceof ShapeProblem)) throw error;
    throw new BundleInvalidError(origin, `unexpected structure at ${error.path || '(root)'}: ${error.message}`);
  }
}
