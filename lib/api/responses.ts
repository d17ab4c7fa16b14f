import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiError } from './errors';

/** What the function returns to API Gateway (payload v2.0, structured form). */
export type ApiResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string; headers: Record<string, string> };

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  // Answers are about live data: no shared cache may keep them.
  'cache-control': 'no-store',
} as const;

/**
 * A JSON response.
 *
 * @example
 * return jsonResponse(201, organization, { location: `/organizations/${organization.id}` });
 */
export function jsonResponse(statusCode: number, body: unknown, headers: Readonly<Record<string, string>> = {}): ApiResponse {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/**
 * The response for an error: `{ "error": { "code", "message", "fields"? } }`
 * with the error's status and headers. The cause is never part of it.
 *
 * @example
 * errorResponse(new ApiError(ApiErrorCode.NOT_FOUND, 'Organization 42 does not exist.'));
 * // { statusCode: 404, body: '{"error":{"code":"NOT_FOUND","message":"Organization 42 does not exist."}}', … }
 */
export function errorResponse(error: ApiError): ApiResponse {
  const fields = error.fields.length > 0 ? { fields: error.fields } : {};
  return jsonResponse(error.status, { error: { code: error.code, message: error.message, ...fields } }, error.headers);
}
