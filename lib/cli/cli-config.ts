import { parseConfig, type Config, type RawConfig } from '../config';
import { ConfigInvalidError } from '../core/errors';
import type { ParsedArgs } from './args';

/** The option and the environment variable that set each setting on the command line. */
const SOURCES: Partial<Record<string, { option?: string; variable: string }>> = {
  databaseUrl: { option: 'database-url', variable: 'DATABASE_URL' },
  schema: { option: 'schema', variable: 'STAGEGATE_SCHEMA' },
  lockWaitMs: { option: 'lock-wait', variable: 'STAGEGATE_LOCK_WAIT_MS' },
  lockTimeoutMs: { option: 'lock-timeout', variable: 'STAGEGATE_LOCK_TIMEOUT_MS' },
  statementTimeoutMs: { option: 'statement-timeout', variable: 'STAGEGATE_STATEMENT_TIMEOUT_MS' },
  rehearsalLockTimeoutMs: { option: 'lock-timeout', variable: 'STAGEGATE_REHEARSAL_LOCK_TIMEOUT_MS' },
  embeddedPort: { variable: 'STAGEGATE_EMBEDDED_PORT' },
  drift: { option: 'drift', variable: 'STAGEGATE_DRIFT' },
};

/**
 * {@link parseConfig} for a command line: each problem is named by what the
 * user set, the option (`--lock-wait`) when it was given, else the
 * environment variable (`STAGEGATE_LOCK_WAIT_MS`), as the migrate function
 * names its variables.
 *
 * @example
 * const config = parseCliConfig(rawConfig(args, ctx.env), args);
 */
export function parseCliConfig(raw: RawConfig, args: ParsedArgs): Config {
  try {
    return parseConfig(raw);
  } catch (error) {
    if (!(error instanceof ConfigInvalidError)) throw error;
    throw new ConfigInvalidError(error.problems.map((p) => ({ key: sourceOf(p.key, args), problem: p.problem })));
  }
}

function sourceOf(key: string, args: ParsedArgs): string {
  const source = SOURCES[key];
  if (source === undefined) return key;
  // On `plan`, --lock-timeout is the rehearsal's: a plain lock timeout there came from the environment.
  const flagged = source.option !== undefined && typeof args.options[source.option as keyof ParsedArgs['options']] === 'string';
  const optionIsThis = !(args.command === 'plan' && key === 'lockTimeoutMs');
  return flagged && optionIsThis ? `--${source.option as string}` : source.variable;
}
