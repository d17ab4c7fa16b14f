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
