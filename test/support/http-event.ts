import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { randomBytes } from 'node:crypto';

export interface HttpEventOptions {
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** An object is sent as JSON with `content-type: application/json` unless `headers` says otherwise; a string as is. */
  body?: unknown;
  /** Sends the body base64-encoded, as API Gateway does for binary media types. */
  base64?: boolean;
  /** The route key API Gateway matched; default `$default`. */
  routeKey?: string;
}

/**
 * An API Gateway HTTP API event (payload format 2.0), shaped like the ones
 * Lambda receives: header names in lower case, the query string both raw and
 * parsed, a fresh request id, the body as a string.
 *
 * @example
 * await handler(httpEvent('POST', '/organizations', { body: { name: 'Acme' } }), lambdaContext());
 */
export function httpEvent(method: string, path: string, options: HttpEventOptions = {}): APIGatewayProxyEventV2 {
  const isText = typeof options.body === 'string';
  const text = options.body === undefined ? undefined : isText ? (options.body as string) : JSON.stringify(options.body);
  const headers: Record<string, string> = {
    accept: '*/*',
    host: 'abc123.execute-api.us-east-1.amazonaws.com',
    'user-agent': 'stagegate-tests',
    'x-forwarded-proto': 'https',
    ...(options.body !== undefined && !isText ? { 'content-type': 'application/json' } : {}),
    ...(text !== undefined ? { 'content-length': String(Buffer.byteLength(text)) } : {}),
  };
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  const rawQueryString = new URLSearchParams(options.query ?? {}).toString();
  const now = Date.now();
  const requestId = `${randomBytes(4).toString('hex')}=`;
  return {
    version: '2.0',
    routeKey: options.routeKey ?? '$default',
    rawPath: path,
    rawQueryString,
    headers,
    ...(options.query !== undefined ? { queryStringParameters: options.query } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'stagegate-tests' },
      requestId,
      routeKey: options.routeKey ?? '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(text !== undefined ? { body: options.base64 ? Buffer.from(text).toString('base64') : text } : {}),
    isBase64Encoded: options.base64 ?? false,
  };
}

/** A response body read back as JSON. */
export function bodyOf<T = Record<string, unknown>>(response: { body?: string }): T {
  return JSON.parse(response.body ?? 'null') as T;
}
