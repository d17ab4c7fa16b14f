import { z } from 'zod';
import { ApiError, ApiErrorCode } from './errors';

/** The parts of an HTTP API (payload v2.0) event the API uses; nothing past the handler sees the raw event. */
export interface HttpRequest {
  /** Upper case: `GET`, `POST`… */
  method: string;
  /** The path as the client sent it, without the query string. */
  path: string;
  /** Header names in lower case; API Gateway joins repeated headers with commas. */
  headers: Readonly<Record<string, string>>;
  /** Query string parameters; API Gateway joins repeated ones with commas. */
  query: Readonly<Record<string, string>>;
  /** The body as text (decoded when API Gateway sent it base64-encoded), or null when there is none. */
  body: string | null;
  /** API Gateway's request id, which it also returns in the `apigw-requestid` header. */
  requestId: string;
}

/** Largest JSON body accepted, in bytes; an organization needs far less. */
export const MAX_BODY_BYTES = 16 * 1024;

// Not strict: API Gateway adds fields over time, and only these are read. API Gateway leaves out
// what a request lacks; serverless-offline sends null instead, so both mean "none".
const eventSchema = z.object({
  version: z.literal('2.0'),
  rawPath: z.string().min(1),
  headers: z.record(z.string(), z.string()).nullish(),
  queryStringParameters: z.record(z.string(), z.string()).nullish(),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().nullish(),
  requestContext: z.object({ requestId: z.string(), http: z.object({ method: z.string().min(1) }) }),
});

/**
 * Checks that the event is an HTTP API payload v2.0 request and keeps what
 * the API reads. Anything else means the function was wired to the wrong
 * kind of event (a REST API, payload v1.0, a direct invocation): that is an
 * `INTERNAL` error whose cause lists the problems, for the logs.
 *
 * @example
 * const request = parseHttpEvent(event); // { method: 'GET', path: '/organizations', query: { limit: '10' }, … }
 */
export function parseHttpEvent(event: unknown): HttpRequest {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`).join('; ');
    const cause = new Error(`not an HTTP API payload v2.0 event: ${problems.slice(0, 500)}`);
    throw new ApiError(ApiErrorCode.INTERNAL, 'The request could not be handled.', { cause });
  }
  const e = parsed.data;
  const headers = Object.fromEntries(Object.entries(e.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const raw = e.body ?? null;
  const body = raw !== null && e.isBase64Encoded === true ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  return {
    method: e.requestContext.http.method.toUpperCase(),
    path: e.rawPath,
    headers,
    query: e.queryStringParameters ?? {},
    body,
    requestId: e.requestContext.requestId,
  };
}

/**
 * The request's body as parsed JSON (still unchecked: validate it next).
 * Refuses a body that is not declared as JSON (415), larger than
 * {@link MAX_BODY_BYTES} (413), empty or not valid JSON (400).
 *
 * @example
 * const input = parseInput(newOrganizationSchema, readJsonBody(request));
 */
export function readJsonBody(request: HttpRequest): unknown {
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(mediaType)) {
    const got = mediaType === '' ? 'no Content-Type' : `Content-Type ${mediaType.slice(0, 100)}`;
    throw new ApiError(ApiErrorCode.UNSUPPORTED_MEDIA_TYPE, `The request body must be JSON sent with Content-Type: application/json; got ${got}.`);
  }
  const text = request.body ?? '';
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new ApiError(ApiErrorCode.PAYLOAD_TOO_LARGE, `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
  }
  if (text.trim() === '') throw new ApiError(ApiErrorCode.INVALID_JSON, 'The request body is empty; send a JSON object.');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // The parser's message quotes the body: say only what is wrong.
    throw new ApiError(ApiErrorCode.INVALID_JSON, 'The request body is not valid JSON.');
  }
}
