import { lastAppliedMigration } from './applied-schema';
import { ApiError, ApiErrorCode, validationError } from './errors';
import { readJsonBody, type HttpRequest } from './http-request';
import { findOrganization, insertOrganization, listOrganizations } from './organizations';
import type { ApiDatabase } from './pg-api-database';
import { jsonResponse, type ApiResponse } from './responses';
import { Route } from './routes';
import { listQuerySchema, newOrganizationSchema, organizationPathSchema, parseInput } from './validation';

/** What an endpoint works with: the checked request, its path parameters and the database. */
export interface EndpointContext {
  request: HttpRequest;
  params: Readonly<Record<string, string>>;
  db: ApiDatabase;
  /** The stagegate ledger's schema, for `GET /health`. */
  ledgerSchema: string;
}

export type Endpoint = (context: EndpointContext) => Promise<ApiResponse>;

/** `200 { organizations: Organization[] }`, newest first. */
const listOrganizationsEndpoint: Endpoint = async ({ request, db }) => {
  const { limit } = parseInput(listQuerySchema, request.query);
  const organizations = await db.withClient((client) => listOrganizations(client, limit), { idempotent: true });
  return jsonResponse(200, { organizations });
};

/** `200 Organization`, or `404 NOT_FOUND`. */
const getOrganizationEndpoint: Endpoint = async ({ params, db }) => {
  const { id } = parseInput(organizationPathSchema, params);
  const organization = await db.withClient((client) => findOrganization(client, id), { idempotent: true });
  if (organization === null) throw new ApiError(ApiErrorCode.NOT_FOUND, `Organization ${id} does not exist.`);
  return jsonResponse(200, organization);
};

/** `201 Organization` with `location`, or `400` naming the fields (an unknown type lists the known ones). */
const createOrganizationEndpoint: Endpoint = async ({ request, db }) => {
  const input = parseInput(newOrganizationSchema, readJsonBody(request));
  const outcome = await db.withClient((client) => insertOrganization(client, input), { idempotent: false });
  if ('unknownType' in outcome) {
    const known = outcome.unknownType.length > 0 ? `one of ${outcome.unknownType.join(', ')}` : 'left out: no organization types exist';
    throw validationError([{ field: 'type', problem: `must be ${known}` }]);
  }
  return jsonResponse(201, outcome.created, { location: `/organizations/${outcome.created.id}` });
};

/** `200 { ok: true, schema }`: the last migration applied, or null before the first. */
const healthEndpoint: Endpoint = async ({ db, ledgerSchema }) => {
  const schema = await db.withClient((client) => lastAppliedMigration(client, ledgerSchema), { idempotent: true });
  return jsonResponse(200, { ok: true, schema });
};

/**
 * The endpoint of each route.
 *
 * @example
 * const response = await ENDPOINTS[match.route]({ request, params: match.params, db, ledgerSchema });
 */
export const ENDPOINTS: Readonly<Record<Route, Endpoint>> = {
  [Route.LIST_ORGANIZATIONS]: listOrganizationsEndpoint,
  [Route.GET_ORGANIZATION]: getOrganizationEndpoint,
  [Route.CREATE_ORGANIZATION]: createOrganizationEndpoint,
  [Route.HEALTH]: healthEndpoint,
};
