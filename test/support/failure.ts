import { MigrationRunnerError } from '../../lib/core/errors';

/**
 * The stagegate error a promise rejects with. Anything else (a plain error,
 * or no rejection at all) fails the test.
 *
 * @example
 * const error = await failure(runOnFolder(folder, url, { action: 'migrate' }));
 * expect(error.code).toBe('MIGRATION_FAILED');
 */
export async function failure(promise: Promise<unknown>): Promise<MigrationRunnerError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MigrationRunnerError) return error;
    throw error;
  }
  throw new Error('expected a stagegate error, but the promise resolved');
}

/**
 * The stagegate error a function throws, for synchronous code. Anything else
 * (a plain error, or no throw at all) fails the test.
 *
 * @example
 * expect(thrown(() => planTo(migrations, [], 'org/0009_gone')).code).toBe('TARGET_UNKNOWN');
 */
export function thrown(fn: () => unknown): MigrationRunnerError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MigrationRunnerError) return error;
    throw error;
  }
  throw new Error('expected a stagegate error, but nothing was thrown');
}
