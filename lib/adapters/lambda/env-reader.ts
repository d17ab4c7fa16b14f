import type { ConfigProblem } from '../../core/errors';

/** A process environment: names to values, any of them unset. */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads variables and collects every problem instead of stopping at the
 * first, so one error can list them all. Empty values count as unset.
 * Problems name the variable and describe the value, never repeat it: some
 * variables hold secrets.
 *
 * @example
 * const reader = new EnvReader(process.env);
 * const port = reader.parse('DB_PORT', parsePort) ?? 5432;
 * if (reader.problems.length > 0) throw new ConfigInvalidError(reader.problems);
 */
export class EnvReader {
  readonly problems: ConfigProblem[] = [];

  constructor(private readonly env: Environment) {}

  /** The value, or undefined when the variable is unset or empty. */
  value(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  }

  /** True when the variable has a value. */
  has(name: string): boolean {
    return this.value(name) !== undefined;
  }

  /** Parses a set variable; an error thrown by `parse` becomes a problem. Unset or invalid: undefined. */
  parse<T>(name: string, parse: (value: string) => T): T | undefined {
    const value = this.value(name);
    if (value === undefined) return undefined;
    try {
      return parse(value);
    } catch (error) {
      this.problems.push({ key: name, problem: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  }

  /** Like {@link parse}, but an unset variable is a problem too; `why` completes "is required …". */
  require<T>(name: string, parse: (value: string) => T, why: string): T | undefined {
    if (!this.has(name)) {
      this.problems.push({ key: name, problem: `is required ${why}` });
      return undefined;
    }
    return this.parse(name, parse);
  }

  /** Records a problem that is not about one value's form (e.g. two settings that contradict). */
  report(name: string, problem: string): void {
    this.problems.push({ key: name, problem });
  }
}
