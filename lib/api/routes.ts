import { ApiError, ApiErrorCode } from './errors';

/**
 * The API's routes, written as API Gateway writes route keys: a method, a
 * space and a path whose `{name}` segments are parameters.
 */
export const Route = {
  LIST_ORGANIZATIONS: 'GET /organizations',
  CREATE_ORGANIZATION: 'POST /organizations',
  GET_ORGANIZATION: 'GET /organizations/{id}',
  HEALTH: 'GET /health',
} as const;
export type Route = (typeof Route)[keyof typeof Route];

/** A request's route and the values of its path parameters (decoded, unchecked). */
export interface RouteMatch {
  route: Route;
  params: Readonly<Record<string, string>>;
}

interface CompiledRoute {
  route: Route;
  method: string;
  segments: string[];
}

const COMPILED: readonly CompiledRoute[] = Object.values(Route).map((route) => {
  const [method, path] = route.split(' ') as [string, string];
  return { route, method, segments: path.split('/').slice(1) };
});

/** The parameters when `segments` fit the template, or null. */
function bind(template: readonly string[], segments: readonly string[]): Record<string, string> | null {
  if (template.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (const [i, part] of template.entries()) {
    const segment = segments[i] as string;
    if (part.startsWith('{') && part.endsWith('}')) {
      if (segment === '') return null;
      params[part.slice(1, -1)] = segment;
    } else if (part !== segment) {
      return null;
    }
  }
  return params;
}

function segmentsOf(path: string): string[] | null {
  // One trailing slash is forgiven: `/organizations/` is `/organizations`.
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  try {
    return trimmed.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return null; // a malformed escape such as `%E0%A4%A` names no resource
  }
}

/**
 * Finds the route of a request. A path no route has is `NOT_FOUND`; a known
 * path asked with another method is `METHOD_NOT_ALLOWED`, with the methods it
 * does allow in the `allow` header.
 *
 * @example
 * matchRoute('GET', '/organizations/42'); // { route: 'GET /organizations/{id}', params: { id: '42' } }
 * matchRoute('DELETE', '/organizations'); // throws ApiError METHOD_NOT_ALLOWED, allow: 'GET, POST'
 */
export function matchRoute(method: string, path: string): RouteMatch {
  const segments = segmentsOf(path);
  const allowed: string[] = [];
  for (const candidate of segments === null ? [] : COMPILED) {
    const params = bind(candidate.segments, segments as string[]);
    if (params === null) continue;
    if (candidate.method === method) return { route: candidate.route, params };
    allowed.push(candidate.method);
  }
  if (allowed.length === 0) throw new ApiError(ApiErrorCode.NOT_FOUND, 'No resource has this path.');
  const allow = [...new Set(allowed)].sort().join(', ');
  throw new ApiError(ApiErrorCode.METHOD_NOT_ALLOWED, `This path allows ${allow} only.`, { headers: { allow } });
}
