import pg from 'pg';
import { isConnectionLost, sqlstateOf } from '../adapters/postgres/errors';
import { ErrorCode, MigrationRunnerError } from '../core/errors';
import { ApiError, ApiErrorCode } from './errors';

/** Failures to reach or sign in to the database: the service is down, not the request wrong. */
const UNAVAILABLE_CODES = new Set<string>([ErrorCode.DATABASE_UNREACHABLE, ErrorCode.DATABASE_AUTH_FAILED, ErrorCode.CREDENTIALS_UNAVAILABLE]);

/** SQLSTATEs worth a retry: cancelled by statement_timeout, server shutting down or full, serialization failures. */
const TRANSIENT_SQLSTATES = new Set(['57014', '57P01', '57P02', '57P03', '53300', '40001', '40P01']);

/** Longest error message kept in a log event. */
const MAX_MESSAGE_CHARS = 500;

function isUnavailable(error: unknown): boolean {
  if (error instanceof MigrationRunnerError) return UNAVAILABLE_CODES.has(error.code);
  const sqlstate = sqlstateOf(error);
  if (sqlstate !== null && TRANSIENT_SQLSTATES.has(sqlstate)) return true;
  // pg's own query_timeout: the server did not answer in time.
  return isConnectionLost(error) || (error instanceof Error && error.message === 'Query read timeout');
}

/**
 * The client's view of any failure: an `ApiError` as it is; a database that
 * cannot be reached, refuses the credentials, or is timing out or restarting
 * is `SERVICE_UNAVAILABLE` (503, `retry-after: 1`); anything else is
 * `INTERNAL` (500). Neither message says more: no SQL, host or stack reaches
 * the client. The original error is the `cause`, for {@link failureLog}.
 *
 * @example
 * catch (error) { const failure = toApiError(error); return errorResponse(failure); }
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (isUnavailable(error)) {
    return new ApiError(ApiErrorCode.SERVICE_UNAVAILABLE, 'The service is temporarily unavailable; try again in a moment.', {
      headers: { 'retry-after': '1' },
      cause: error,
    });
  }
  return new ApiError(ApiErrorCode.INTERNAL, 'An unexpected error occurred.', { cause: error });
}

function clip(message: string): string {
  return message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message;
}

/**
 * What the logs keep about a server-side failure's cause. stagegate's own
 * errors carry their code (and their messages name targets, never
 * passwords); a PostgreSQL error keeps its SQLSTATE and message but not its
 * `detail`, which can quote row values; any other error (a bug) keeps a few
 * stack frames.
 *
 * @example
 * logger.error('request.completed', { status: 503, ...failureLog(failure) });
 */
export function failureLog(failure: ApiError): Record<string, unknown> {
  const cause = failure.cause;
  if (cause === undefined) return {};
  if (cause instanceof MigrationRunnerError) return { cause: { code: cause.code, message: clip(cause.message) } };
  if (cause instanceof pg.DatabaseError) return { cause: { name: cause.name, sqlstate: cause.code ?? null, message: clip(cause.message) } };
  if (!(cause instanceof Error)) return { cause: { message: clip(String(cause)) } };
  const frames = (cause.stack ?? '').split('\n').filter((line) => line.startsWith('    at ')).slice(0, 5).map((line) => line.trim());
  return { cause: { name: cause.name, message: clip(cause.message), stack: frames } };
}
