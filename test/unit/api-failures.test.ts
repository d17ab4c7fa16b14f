import pg from 'pg';
import { ApiError, ApiErrorCode } from '../../lib/api/errors';
import { failureLog, toApiError } from '../../lib/api/failures';
import { errorResponse } from '../../lib/api/responses';
import { ConfigInvalidError, CredentialsUnavailableError, DatabaseAuthFailedError, DatabaseUnreachableError } from '../../lib/core/errors';

function databaseError(code: string, message = 'boom'): pg.DatabaseError {
  const error = new pg.DatabaseError(message, message.length, 'error');
  error.code = code;
  error.detail = 'Key (name)=(Secret Row) already exists.';
  return error;
}

describe('Function: toApiError', () => {
  it.each([
    ['an unreachable database', new DatabaseUnreachableError('app@db:5432/app', 'connect ECONNREFUSED 10.0.0.5:5432')],
    ['refused credentials', new DatabaseAuthFailedError('app@db:5432/app', 'app', 'password authentication failed')],
    ['an unreadable secret', new CredentialsUnavailableError({ kind: 'secret', secretArn: 'arn:x' }, 'AccessDenied')],
    ['a statement timeout', databaseError('57014', 'canceling statement due to statement timeout')],
    ['a server shutting down', databaseError('57P01', 'terminating connection due to administrator command')],
    ['a lost connection', new Error('Connection terminated unexpectedly')],
    ['a query timeout', new Error('Query read timeout')],
  ])('answers 503 SERVICE_UNAVAILABLE for %s', (_case, error) => {
    // Act
    const failure = toApiError(error);
    // Assess
    expect(failure).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, headers: { 'retry-after': '1' } });
    expect(failure.cause).toBe(error);
  });

  it.each([
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['an unexpected SQL error', databaseError('42P01', 'relation "organization" does not exist')],
    ['invalid configuration', new ConfigInvalidError([{ key: 'DATABASE_URL', problem: 'is not a valid URL' }])],
    ['a thrown string', 'oops'],
  ])('answers 500 INTERNAL for %s, saying nothing more', (_case, error) => {
    // Act
    const response = errorResponse(toApiError(error));
    // Assess
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ error: { code: 'INTERNAL', message: 'An unexpected error occurred.' } });
  });

  it('passes an ApiError through', () => {
    // Prepare
    const error = new ApiError(ApiErrorCode.NOT_FOUND, 'Organization 1 does not exist.');
    // Act & Assess
    expect(toApiError(error)).toBe(error);
  });
});

describe('Function: failureLog', () => {
  it('keeps a PostgreSQL error\'s SQLSTATE and message but not its detail', () => {
    // Act
    const logged = failureLog(toApiError(databaseError('42P01', 'relation "organization" does not exist')));
    // Assess
    expect(logged).toEqual({ cause: { name: 'error', sqlstate: '42P01', message: 'relation "organization" does not exist' } });
    expect(JSON.stringify(logged)).not.toContain('Secret Row');
  });

  it('keeps a stagegate error\'s code, and a few stack frames of a bug', () => {
    // Act
    const unreachable = failureLog(toApiError(new DatabaseUnreachableError('app@db:5432/app', 'timeout')));
    const bug = failureLog(toApiError(new TypeError('x is undefined')));
    // Assess
    expect(unreachable).toEqual({ cause: { code: 'DATABASE_UNREACHABLE', message: 'Cannot connect to PostgreSQL at app@db:5432/app: timeout.' } });
    expect(bug).toMatchObject({ cause: { name: 'TypeError', message: 'x is undefined' } });
    expect((bug.cause as { stack: string[] }).stack.length).toBeGreaterThan(0);
    expect((bug.cause as { stack: string[] }).stack.length).toBeLessThanOrEqual(5);
  });

  it('logs nothing extra for a client error without a cause', () => {
    // Act & Assess
    expect(failureLog(new ApiError(ApiErrorCode.NOT_FOUND, 'gone'))).toEqual({});
  });
});

describe('Function: errorResponse', () => {
  it('writes code, message and fields as JSON with the error\'s headers, and no cache', () => {
    // Prepare
    const error = new ApiError(ApiErrorCode.METHOD_NOT_ALLOWED, 'This path allows GET only.', { headers: { allow: 'GET' } });
    // Act
    const response = errorResponse(error);
    // Assess
    expect(response).toEqual({
      statusCode: 405,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', allow: 'GET' },
      body: '{"error":{"code":"METHOD_NOT_ALLOWED","message":"This path allows GET only."}}',
    });
  });
});
