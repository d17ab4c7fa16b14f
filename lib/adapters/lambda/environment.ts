import { DEFAULTS, ENVIRONMENT, configFromEnv, parseConfig, parseDuration, runSettingsOf, type Config } from '../../config';
import { ConfigInvalidError, type ConfigProblem } from '../../core/errors';
import { parseStageList, placeInOrder } from '../../core/stage-order';
import type { RunSettings } from '../../run';
import { parseDatabaseSettings, type DatabaseSettings } from './environment-database';
import { EnvReader, type Environment } from './env-reader';

export type { DatabaseSettings, IamDatabase, SecretDatabase, TlsMode, UrlDatabase } from './environment-database';

/** Time kept in reserve before Lambda's deadline when `STAGEGATE_SAFETY_MARGIN_MS` is not set. */
export const DEFAULT_SAFETY_MARGIN_MS = 30_000;

/** Everything the migrate function reads from its environment, parsed once and trusted afterwards. */
export interface LambdaConfig {
  /** How to reach and authenticate to the database. */
  database: DatabaseSettings;
  /** Ledger schema (`STAGEGATE_SCHEMA`). */
  schema: string;
  /** Lock wait and per-migration timeouts, as `runMigrations` takes them. */
  settings: RunSettings;
  /** Time kept before the invocation's deadline, in ms; no migration starts inside it. */
  safetyMarginMs: number;
  /** `STAGEGATE_S3_ENDPOINT`: a local S3 emulator; null on AWS. */
  s3Endpoint: string | null;
  /** `AWS_REGION`, which Lambda always sets; null when unset (local use). */
  region: string | null;
  /** `STAGEGATE_STAGE`, for logs and the stage order; null when unset. */
  stage: string | null;
  /**
   * `STAGEGATE_STAGES` (`dev,staging,production`): the stage order, with this
   * stage in it. Null when unset: then no order is checked and no record written.
   */
  stageOrder: { stages: string[]; stage: string; previousStage: string | null } | null;
}

/** The variables of the shared configuration (`lib/config.ts`), by setting name. */
const VARIABLE_OF: Record<string, string> = Object.fromEntries(Object.entries(ENVIRONMENT).map(([name, key]) => [key, name]));

/**
 * Reads the migrate function's configuration from its environment and
 * reports every problem at once as a `ConfigInvalidError` naming the
 * variables. Variables it does not know are ignored: this is the whole
 * process environment. Values of secret variables are never repeated.
 *
 * Variables: the database (see {@link parseDatabaseSettings}),
 * `STAGEGATE_SCHEMA`, `STAGEGATE_LOCK_WAIT_MS`, `STAGEGATE_LOCK_TIMEOUT_MS`,
 * `STAGEGATE_STATEMENT_TIMEOUT_MS`, `STAGEGATE_REHEARSAL_LOCK_TIMEOUT_MS`, `STAGEGATE_DRIFT`, `STAGEGATE_SAFETY_MARGIN_MS` (default
 * 30 s), `STAGEGATE_S3_ENDPOINT`, `STAGEGATE_STAGE`, `STAGEGATE_STAGES` and `AWS_REGION`.
 *
 * @example
 * const config = parseLambdaEnvironment(process.env);
 * // config.database.kind is 'iam', 'secret' or 'url'
 */
export function parseLambdaEnvironment(env: Environment): LambdaConfig {
  const reader = new EnvReader(env);
  const shared = sharedSettings(env, reader.problems);
  const config: LambdaConfig = {
    database: parseDatabaseSettings(reader),
    schema: shared.schema,
    settings: runSettingsOf(shared),
    safetyMarginMs: reader.parse('STAGEGATE_SAFETY_MARGIN_MS', parseDuration) ?? DEFAULT_SAFETY_MARGIN_MS,
    s3Endpoint: reader.parse('STAGEGATE_S3_ENDPOINT', parseEndpoint) ?? null,
    region: reader.parse('AWS_REGION', parseRegion) ?? null,
    stage: reader.parse('STAGEGATE_STAGE', parseStage) ?? null,
    stageOrder: null,
  };
  config.stageOrder = stageOrderOf(reader, config.stage);
  if (reader.problems.length > 0) throw new ConfigInvalidError(reader.problems);
  return config;
}

/** The stage order from `STAGEGATE_STAGES`; this stage must be in it. */
function stageOrderOf(reader: EnvReader, stage: string | null): LambdaConfig['stageOrder'] {
  const stages = reader.parse('STAGEGATE_STAGES', (value) => {
    const parsed = parseStageList(value);
    if (!parsed.ok) throw new Error(parsed.problem);
    return parsed.stages;
  });
  if (stages === undefined) return null;
  if (stage === null) {
    if (!reader.has('STAGEGATE_STAGE')) reader.report('STAGEGATE_STAGE', 'is required with STAGEGATE_STAGES: the stage this function serves');
    return null;
  }
  const place = placeInOrder(stages, stage);
  if (!place.inOrder) {
    reader.report('STAGEGATE_STAGE', `stage "${stage}" is not in the stage order (STAGEGATE_STAGES: ${stages.join(', ')}); add it to custom.stagegate.stages`);
    return null;
  }
  return { stages, stage, previousStage: place.previousStage };
}

/** What a function that only reads and writes the database needs from its environment. */
export interface DatabaseEnvironment {
  /** How to reach and authenticate to the database. */
  database: DatabaseSettings;
  /** Ledger schema (`STAGEGATE_SCHEMA`), for functions that report which migrations are applied. */
  schema: string;
}

/**
 * Reads only the database part of the environment: the same variables and
 * checks as {@link parseLambdaEnvironment} (see {@link parseDatabaseSettings})
 * plus `STAGEGATE_SCHEMA`, for functions that query the database but never
 * migrate it. Every problem is reported at once as a `ConfigInvalidError`.
 *
 * @example
 * const { database, schema } = parseDatabaseEnvironment(process.env);
 * // database.kind is 'iam', 'secret' or 'url'; schema is 'stagegate' unless set
 */
export function parseDatabaseEnvironment(env: Environment): DatabaseEnvironment {
  const reader = new EnvReader(env);
  const database = parseDatabaseSettings(reader);
  // Only the schema: lock and timeout variables are the migrate function's, not checked here.
  const shared = sharedSettings({ STAGEGATE_SCHEMA: env.STAGEGATE_SCHEMA }, reader.problems);
  if (reader.problems.length > 0) throw new ConfigInvalidError(reader.problems);
  return { database, schema: shared.schema };
}

/** Schema, lock wait and timeouts, checked by the shared `parseConfig`; its problems renamed to their variables. */
function sharedSettings(
  env: Environment,
  problems: ConfigProblem[],
): Pick<Config, 'schema' | 'lockWaitMs' | 'lockTimeoutMs' | 'statementTimeoutMs' | 'rehearsalLockTimeoutMs' | 'drift'> {
  // The database URL and the embedded server are this module's business, not parseConfig's.
  const { databaseUrl: _url, embeddedPort: _port, ...raw } = configFromEnv(env);
  try {
    return parseConfig(raw);
  } catch (error) {
    if (!(error instanceof ConfigInvalidError)) throw error;
    problems.push(...error.problems.map((p) => ({ key: VARIABLE_OF[p.key] ?? p.key, problem: p.problem })));
    return DEFAULTS;
  }
}

function parseEndpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('must be a URL such as http://127.0.0.1:4569');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('must start with http:// or https://');
  if (url.username !== '' || url.password !== '') throw new Error('must not contain credentials (the SDK reads them from the environment)');
  return value;
}

function parseRegion(value: string): string {
  if (value.length > 32 || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(value)) throw new Error('must be an AWS region such as eu-west-1');
  return value;
}

function parseStage(value: string): string {
  if (value.length > 128) throw new Error('must be at most 128 characters');
  return value;
}
