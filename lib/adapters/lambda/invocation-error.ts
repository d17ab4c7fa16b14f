import { asRunnerError, type ErrorCode } from '../../core/errors';
import { formatInvocationErrorMessage } from '../../core/error-text';
import type { Logger } from '../../ports';

/**
 * What a failed invocation throws. Lambda's Node.js runtime reports the
 * thrown error's `name` as `errorType` and its `message` as `errorMessage`,
 * so `name` is the stable error code (`MIGRATION_FAILED`, `EVENT_INVALID`…)
 * and `message` has the format of {@link formatInvocationErrorMessage}.
 *
 * @example
 * throw new InvocationError('LOCK_TIMEOUT', formatInvocationErrorMessage(error));
 */
export class InvocationError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = code;
  }
}

/**
 * The error a failed invocation throws: `name` is the error's code, `message`
 * is {@link formatInvocationErrorMessage}. Its stack (Lambda's `trace`)
 * starts with `<CODE>: <first line of the message>`, so an emulator that
 * loses `errorType` still shows the code, followed by at most ten frames of
 * the original error: the response does not carry the whole message twice.
 *
 * @example
 * try { … } catch (error) { throw toInvocationError(error); }
 */
export function toInvocationError(error: unknown): InvocationError {
  const failure = asRunnerError(error);
  const invocationError = new InvocationError(failure.code, formatInvocationErrorMessage(failure));
  const frames = (failure.stack ?? '').split('\n').filter((line) => line.startsWith('    at ')).slice(0, 10);
  invocationError.stack = [`${failure.code}: ${failure.message.split('\n')[0] ?? ''}`, ...frames].join('\n');
  return invocationError;
}

/**
 * Logs a failed invocation (`invocation.failed` with code and message, which
 * never hold secrets) and returns the error to throw.
 *
 * @example
 * catch (error) { throw failInvocation(error, logger); }
 */
export function failInvocation(error: unknown, logger: Logger): InvocationError {
  const failure = asRunnerError(error);
  logger.error('invocation.failed', { code: failure.code, errorMessage: failure.message, remedy: failure.remedy });
  return toInvocationError(failure);
}
