import { ConfigInvalidError, type ConfigProblem } from '../core/errors';
import { parseStageList } from '../core/stage-order';
import { DEFAULT_MAX_INVOCATIONS } from '../remote/run-remote';

/** `custom.stagegate` after parsing. */
export interface GateSettings {
  /** The migrations folder, relative to the service folder. */
  migrations: string;
  /** The bundle bucket; null when not set (packaging alone needs none). */
  bucket: string | null;
  prefix: string;
  /** Key of the migrate function under `functions:`. */
  migrateFunction: string;
  /** Keys of the functions whose alias the gate moves. */
  promote: string[];
  alias: string;
  maxInvocations: number;
  /** Rehearse the pending migrations before applying them on deploy; default false. */
  rehearse: boolean;
  /** `stages`: the stage order (dev, staging, production); null when not set (no order is checked). */
  stages: string[] | null;
}

/**
 * The JSON schema of `custom.stagegate`, declared to the framework so it
 * reports a misspelt key. Values are checked again by {@link parseGateSettings}.
 */
export const GATE_SETTINGS_SCHEMA = {
  type: 'object',
  properties: {
    migrations: { type: 'string' },
    bucket: { type: 'string' },
    prefix: { type: 'string' },
    migrateFunction: { type: 'string' },
    promote: { type: 'array', items: { type: 'string' } },
    alias: { type: 'string' },
    maxInvocations: { type: 'integer', minimum: 1 },
    rehearse: { type: 'boolean' },
    stages: { type: 'array', items: { type: 'string' }, minItems: 1 },
  },
  additionalProperties: false,
} as const;

/** Where the gate's settings are written: the remedy of every CONFIG_INVALID they cause. */
export const GATE_SETTINGS_REMEDY = 'Fix each key listed above under custom.stagegate in serverless.yml (see the README, "Settings"), then run the command again.';

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^[A-Za-z0-9!_.*'()/-]{0,200}$/;
/** Lambda's alias name rule, minus names that look like a version number. */
const ALIAS = /^(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}$/;

/**
 * Reads `custom.stagegate` against the service's function keys, reporting
 * every problem at once. Defaults: `migrations`, prefix `stagegate`,
 * function `migrate`, alias `live`, 20 invocations, no rehearsal, and every
 * function but the migrate function promoted.
 *
 * @example
 * const settings = parseGateSettings(serverless.service.custom?.stagegate, serverless.service.getAllFunctions());
 */
export function parseGateSettings(raw: unknown, functionKeys: readonly string[]): GateSettings {
  const problems: ConfigProblem[] = [];
  const input = raw === undefined || raw === null ? {} : raw;
  if (typeof input !== 'object' || Array.isArray(input)) throw new ConfigInvalidError([{ key: 'custom.stagegate', problem: 'must be an object' }], GATE_SETTINGS_REMEDY);
  const value = input as Record<string, unknown>;
  // The framework's schema only warns about these under v3's default configValidationMode.
  for (const key of Object.keys(value).filter((k) => !(k in GATE_SETTINGS_SCHEMA.properties))) {
    problems.push({ key: `custom.stagegate.${key}`, problem: `is not a setting (settings: ${Object.keys(GATE_SETTINGS_SCHEMA.properties).join(', ')})` });
  }
  const text = (key: string, fallback: string | null): string | null => {
    const v = value[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'string') return v;
    problems.push({ key: `custom.stagegate.${key}`, problem: 'must be a string' });
    return fallback;
  };
  const migrations = text('migrations', 'migrations') as string;
  const bucket = text('bucket', null);
  const prefix = text('prefix', 'stagegate') as string;
  const migrateFunction = text('migrateFunction', 'migrate') as string;
  const alias = text('alias', 'live') as string;
  if (migrations.trim() === '') problems.push({ key: 'custom.stagegate.migrations', problem: 'must name the migrations folder (relative to the service folder)' });
  if (bucket !== null && !BUCKET.test(bucket)) problems.push({ key: 'custom.stagegate.bucket', problem: `"${bucket.slice(0, 80)}" is not a valid S3 bucket name` });
  if (!PREFIX.test(prefix)) problems.push({ key: 'custom.stagegate.prefix', problem: 'may only hold letters, digits and !_.*\'()/- (at most 200)' });
  if (!ALIAS.test(alias)) problems.push({ key: 'custom.stagegate.alias', problem: `"${alias.slice(0, 80)}" is not a Lambda alias name (letters, digits, - and _, not only digits)` });
  if (!functionKeys.includes(migrateFunction)) problems.push({ key: 'custom.stagegate.migrateFunction', problem: `"${migrateFunction}" is not a function of this service (functions: ${functionKeys.join(', ') || 'none'})` });
  const promote = parsePromote(value.promote, functionKeys, migrateFunction, problems);
  const maxInvocations = value.maxInvocations ?? DEFAULT_MAX_INVOCATIONS;
  if (typeof maxInvocations !== 'number' || !Number.isInteger(maxInvocations) || maxInvocations < 1) problems.push({ key: 'custom.stagegate.maxInvocations', problem: 'must be a whole number of at least 1' });
  const rehearse = value.rehearse ?? false;
  if (typeof rehearse !== 'boolean') problems.push({ key: 'custom.stagegate.rehearse', problem: 'must be true or false' });
  const stages = parseStages(value.stages, problems);
  if (problems.length > 0) throw new ConfigInvalidError(problems, GATE_SETTINGS_REMEDY);
  return { migrations, bucket, prefix, migrateFunction, promote, alias, maxInvocations: maxInvocations as number, rehearse: rehearse === true, stages };
}

function parseStages(raw: unknown, problems: ConfigProblem[]): string[] | null {
  if (raw === undefined || raw === null) return null;
  const parsed = parseStageArray(raw);
  if (!parsed.ok) problems.push({ key: 'custom.stagegate.stages', problem: parsed.problem });
  return parsed.ok ? parsed.stages : null;
}

/**
 * `custom.stagegate.stages` (a YAML list, one name per item), checked like
 * `STAGEGATE_STAGES`. Returns the list, or the problem in words.
 *
 * @example
 * parseStageArray(['dev', 'staging', 'production']); // { ok: true, stages: ['dev', 'staging', 'production'] }
 */
export function parseStageArray(raw: unknown): ReturnType<typeof parseStageList> {
  if (!Array.isArray(raw) || raw.length === 0 || raw.some((stage) => typeof stage !== 'string')) {
    return { ok: false, problem: 'must be a list of stage names in deploy order, such as [dev, staging, production]' };
  }
  // Each item is checked alone, so the problem quotes the item (a comma inside one would split it otherwise).
  const stages = raw as string[];
  const odd = stages.filter((stage) => !parseStageList(stage).ok || stage.includes(','));
  if (odd.length > 0) {
    return { ok: false, problem: `${odd.map((stage) => JSON.stringify(stage.slice(0, 64))).join(', ')} ${odd.length === 1 ? 'is not a stage name' : 'are not stage names'} (letters, digits, - and _, at most 64; one name per list item)` };
  }
  const twice = stages.filter((stage, i) => stages.indexOf(stage) !== i);
  if (twice.length > 0) return { ok: false, problem: `names a stage twice: ${[...new Set(twice)].join(', ')} (each stage once, in deploy order)` };
  return parseStageList(stages.join(','));
}

function parsePromote(raw: unknown, functionKeys: readonly string[], migrateFunction: string, problems: ConfigProblem[]): string[] {
  if (raw === undefined || raw === null) return functionKeys.filter((key) => key !== migrateFunction);
  if (!Array.isArray(raw) || raw.some((key) => typeof key !== 'string')) {
    problems.push({ key: 'custom.stagegate.promote', problem: 'must be a list of function names' });
    return [];
  }
  const keys = raw as string[];
  for (const key of keys) {
    if (!functionKeys.includes(key)) problems.push({ key: 'custom.stagegate.promote', problem: `"${key}" is not a function of this service` });
    if (key === migrateFunction) problems.push({ key: 'custom.stagegate.promote', problem: `"${key}" is the migrate function; it is deployed directly and never promoted` });
  }
  return keys;
}

/** The bucket, required by every step that publishes or reads a bundle. */
export function requireBucket(settings: GateSettings): string {
  if (settings.bucket === null) {
    throw new ConfigInvalidError([{ key: 'custom.stagegate.bucket', problem: 'is required to publish the migration bundle (the bucket the migrate function reads bundles from)' }], GATE_SETTINGS_REMEDY);
  }
  return settings.bucket;
}
