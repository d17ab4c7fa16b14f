import { ConfigInvalidError, withoutPasswords, type ConfigProblem } from './core/errors';
import { DriftMode } from './core/drift';
import type { RunSettings } from './run';

/** Parsed, trusted configuration. Every field is set; nothing downstream re-checks. */
export interface Config {
  /** Connection URL, or null for the embedded default. A secret: never log it. */
  databaseUrl: string | null;
  /** Schema of the ledger tables; always quoted when used. */
  schema: string;
  /** How long a run waits for another run's lock, in ms. */
  lockWaitMs: number;
  /** `lock_timeout` for each migration, in ms (0 = none). */
  lockTimeoutMs: number;
  /** `statement_timeout` for each migration, in ms (0 = none). */
  statementTimeoutMs: number;
  /** `lock_timeout` of a rehearsal (`plan --rehearse`), in ms (0 = none): short, so it never blocks live traffic for long. */
  rehearsalLockTimeoutMs: number;
  /** Port of the embedded default server. */
  embeddedPort: number;
  /** On drift before a run applies anything: `fail` (stop) or `warn` (report and go on). */
  drift: DriftMode;
}

/** Raw settings, untrusted: strings from the environment or the command line. */
export type RawConfig = Partial<Record<keyof Config, unknown>>;

export const DEFAULTS = {
  schema: 'stagegate',
  lockWaitMs: 120_000,
  lockTimeoutMs: 10_000,
  statementTimeoutMs: 1_800_000,
  rehearsalLockTimeoutMs: 2_000,
  embeddedPort: 54329,
  drift: DriftMode.FAIL,
} as const;

/** Environment variables and the settings they feed. */
export const ENVIRONMENT: Record<string, keyof Config> = {
  DATABASE_URL: 'databaseUrl',
  STAGEGATE_SCHEMA: 'schema',
  STAGEGATE_LOCK_WAIT_MS: 'lockWaitMs',
  STAGEGATE_LOCK_TIMEOUT_MS: 'lockTimeoutMs',
  STAGEGATE_STATEMENT_TIMEOUT_MS: 'statementTimeoutMs',
  STAGEGATE_REHEARSAL_LOCK_TIMEOUT_MS: 'rehearsalLockTimeoutMs',
  STAGEGATE_EMBEDDED_PORT: 'embeddedPort',
  STAGEGATE_DRIFT: 'drift',
};

/**
 * The settings of a run, taken from a parsed configuration.
 *
 * @example
 * await runMigrations(deps, request, runSettingsOf(parseConfig(raw)));
 */
export function runSettingsOf(config: Pick<Config, 'lockWaitMs' | 'lockTimeoutMs' | 'statementTimeoutMs' | 'rehearsalLockTimeoutMs' | 'drift'>): RunSettings {
  const { lockWaitMs, lockTimeoutMs, statementTimeoutMs, rehearsalLockTimeoutMs, drift } = config;
  return { lockWaitMs, lockTimeoutMs, statementTimeoutMs, rehearsalLockTimeoutMs, drift };
}

/** Picks the stagegate settings out of an environment; empty values count as unset. */
export function configFromEnv(env: Record<string, string | undefined>): RawConfig {
  const raw: RawConfig = {};
  for (const [name, key] of Object.entries(ENVIRONMENT)) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') raw[key] = value;
  }
  return raw;
}

/**
 * Checks every setting and reports every problem at once; unknown keys are
 * refused. Durations accept milliseconds or a unit: `500ms`, `30s`, `2m`.
 *
 * @example
 * const config = parseConfig({ ...configFromEnv(process.env), schema: 'ledger' });
 */
export function parseConfig(raw: RawConfig): Config {
  const problems: ConfigProblem[] = [];
  for (const key of Object.keys(raw)) {
    if (!(key in DEFAULTS) && key !== 'databaseUrl') problems.push({ key, problem: 'unknown setting' });
  }
  const config: Config = {
    databaseUrl: check(problems, 'databaseUrl', raw.databaseUrl, null, parseDatabaseUrl),
    schema: check(problems, 'schema', raw.schema, DEFAULTS.schema, parseSchema),
    lockWaitMs: check(problems, 'lockWaitMs', raw.lockWaitMs, DEFAULTS.lockWaitMs, parseDuration),
    lockTimeoutMs: check(problems, 'lockTimeoutMs', raw.lockTimeoutMs, DEFAULTS.lockTimeoutMs, parseDuration),
    statementTimeoutMs: check(problems, 'statementTimeoutMs', raw.statementTimeoutMs, DEFAULTS.statementTimeoutMs, parseDuration),
    rehearsalLockTimeoutMs: check(problems, 'rehearsalLockTimeoutMs', raw.rehearsalLockTimeoutMs, DEFAULTS.rehearsalLockTimeoutMs, parseDuration),
    embeddedPort: check(problems, 'embeddedPort', raw.embeddedPort, DEFAULTS.embeddedPort, parsePort),
    drift: check<DriftMode>(problems, 'drift', raw.drift, DEFAULTS.drift, parseDriftMode),
  };
  if (problems.length > 0) throw new ConfigInvalidError(problems);
  return config;
}

function check<T>(problems: ConfigProblem[], key: string, value: unknown, fallback: T, parse: (v: unknown) => T): T {
  if (value === undefined) return fallback;
  try {
    return parse(value);
  } catch (error) {
    problems.push({ key, problem: (error as Error).message });
    return fallback;
  }
}

function parseDatabaseUrl(value: unknown): string {
  // The value is a secret: messages describe it, never repeat it.
  if (typeof value !== 'string') throw new Error('must be a string');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(
      'is not a valid URL (expected postgres://user:password@host:5432/database); characters such as @ : / % # ? and spaces in the user or password must be percent-encoded (@ as %40, : as %3A, / as %2F, % as %25, # as %23, ? as %3F, a space as %20)',
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(`must start with postgres:// or postgresql://, not ${url.protocol}//`);
  }
  const sslmode = url.searchParams.get('sslmode');
  // node-postgres reads any other value as "use TLS", so a typo would not mean what it says.
  if (sslmode !== null && !SSL_MODES.includes(sslmode)) {
    throw new Error(`has sslmode=${JSON.stringify(sslmode.slice(0, 40))}, which node-postgres does not know: use one of ${SSL_MODES.join(', ')}`);
  }
  return value;
}

/** The `sslmode` values node-postgres honours (it treats prefer, require and verify-ca as verify-full). */
const SSL_MODES: readonly string[] = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

function parseSchema(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new Error('must be a non-empty string');
  if (Buffer.byteLength(value, 'utf8') > 63) throw new Error('must be at most 63 bytes (PostgreSQL truncates longer names)');
  if (value.includes('\0')) throw new Error('must not contain a NUL character');
  return value;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** A refused value as a problem quotes it: cut short, and without the password of a database URL given in the wrong place. */
const quoted = (value: unknown): string => withoutPasswords(JSON.stringify(String(value).slice(0, 40)));

/** Parses `1500`, `1500ms`, `30s` or `2m` into milliseconds. */
export function parseDuration(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  const match = typeof value === 'string' ? /^\s*(\d{1,10})\s*(ms|s|m)?\s*$/.exec(value) : null;
  if (!match) throw new Error(`must be a duration such as 5000, 5000ms, 30s or 2m; got ${quoted(value)}`);
  const ms = Number(match[1]) * (UNITS[match[2] ?? 'ms'] as number);
  if (ms > 2_147_483_647) throw new Error('is too long (at most 24 days)');
  return ms;
}

function parseDriftMode(value: unknown): DriftMode {
  const modes: unknown[] = Object.values(DriftMode);
  if (!modes.includes(value)) throw new Error(`must be fail or warn; got ${quoted(value)}`);
  return value as DriftMode;
}

function parsePort(value: unknown): number {
  const port = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('must be a port number from 1 to 65535');
  return port;
}
