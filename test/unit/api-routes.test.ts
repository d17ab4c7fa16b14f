import { ApiError } from '../../lib/api/errors';
import { matchRoute, Route } from '../../lib/api/routes';

function refusal(method: string, path: string): ApiError {
  try {
    matchRoute(method, path);
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error(`expected ${method} ${path} to be refused`);
}

describe('Function: matchRoute', () => {
  it.each([
    ['GET', '/organizations', Route.LIST_ORGANIZATIONS, {}],
    ['POST', '/organizations', Route.CREATE_ORGANIZATION, {}],
    ['GET', '/organizations/42', Route.GET_ORGANIZATION, { id: '42' }],
    ['GET', '/health', Route.HEALTH, {}],
    ['GET', '/organizations/', Route.LIST_ORGANIZATIONS, {}],
    ['GET', '/organizations/a%20b', Route.GET_ORGANIZATION, { id: 'a b' }],
  ])('routes %s %s', (method, path, route, params) => {
    // Act
    const match = matchRoute(method, path);
    // Assess
    expect(match).toEqual({ route, params });
  });

  it.each([['/'], ['/organization'], ['/organizations/42/members'], ['/organizations//'], ['/organizations/%E0%A4%A'], ['/HEALTH']])(
    'answers NOT_FOUND for %s',
    (path) => {
      // Act
      const error = refusal('GET', path);
      // Assess
      expect(error).toMatchObject({ code: 'NOT_FOUND', status: 404, headers: {} });
    },
  );

  it.each([
    ['DELETE', '/organizations', 'GET, POST'],
    ['PUT', '/organizations/42', 'GET'],
    ['POST', '/health', 'GET'],
    ['HEAD', '/health', 'GET'],
  ])('answers METHOD_NOT_ALLOWED for %s %s with allow: %s', (method, path, allow) => {
    // Act
    const error = refusal(method, path);
    // Assess
    expect(error).toMatchObject({ code: 'METHOD_NOT_ALLOWED', status: 405, headers: { allow } });
    expect(error.message).toBe(`This path allows ${allow} only.`);
  });
});
