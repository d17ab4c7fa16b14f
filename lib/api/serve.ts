import type { Clock, Logger } from '../ports';
import { ENDPOINTS } from './endpoints';
import type { ApiError } from './errors';
import { failureLog, toApiError } from './failures';
import { parseHttpEvent } from './http-request';
import type { ApiDatabase } from './pg-api-database';
import { errorResponse, type ApiResponse } from './responses';
import { matchRoute } from './routes';

/** Unmatched paths are logged, cut to this length. */
const MAX_LOGGED_PATH = 200;

export interface ApiDependencies {
  /**
   * Reads the configuration and returns the database and ledger schema.
   * Called after routing, so a request for an unknown path never needs it;
   * a `ConfigInvalidError` becomes a 500 whose log names the variables.
   */
  database(): { db: ApiDatabase; ledgerSchema: string };
  logger: Logger;
  clock: Clock;
}

/**
 * Answers one HTTP API request: checks the event, finds the route, runs its
 * endpoint and turns any failure into a JSON error (see `toApiError`). Never
 * throws, so API Gateway always gets a response it can pass on. Logs one
 * `request.completed` event with method, route, status and duration (and
 * the cause of a 5xx); never the body, the query or a header.
 *
 * @example
 * const response = await serveHttpRequest(event, { database: () => …, logger, clock: { now: () => Date.now() } });
 */
export async function serveHttpRequest(event: unknown, deps: ApiDependencies): Promise<ApiResponse> {
  const started = deps.clock.now();
  const log: Record<string, unknown> = { method: null, route: null };
  let response: ApiResponse;
  let failure: ApiError | null = null;
  try {
    const request = parseHttpEvent(event);
    log.method = request.method;
    const match = matchRoute(request.method, request.path);
    log.route = match.route;
    const { db, ledgerSchema } = deps.database();
    response = await ENDPOINTS[match.route]({ request, params: match.params, db, ledgerSchema });
  } catch (error) {
    failure = toApiError(error);
    response = errorResponse(failure);
    if (failure.status === 404 && log.route === null && typeof log.method === 'string') log.path = pathOf(event);
  }
  const entry = { ...log, status: response.statusCode, durationMs: deps.clock.now() - started };
  if (failure === null) deps.logger.info('request.completed', entry);
  else if (failure.status < 500) deps.logger.info('request.completed', { ...entry, code: failure.code });
  else deps.logger.error('request.completed', { ...entry, code: failure.code, ...failureLog(failure) });
  return response;
}

function pathOf(event: unknown): string {
  const path = String((event as { rawPath?: unknown }).rawPath);
  return path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}…` : path;
}
