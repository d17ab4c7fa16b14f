import { ApiError } from '../../lib/api/errors';
import { MAX_BODY_BYTES, parseHttpEvent, readJsonBody, type HttpRequest } from '../../lib/api/http-request';
import { httpEvent } from '../support/http-event';

function request(overrides: Partial<HttpRequest>): HttpRequest {
  return { method: 'POST', path: '/organizations', headers: {}, query: {}, body: null, requestId: 'r-1', ...overrides };
}

function refusal(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('Function: parseHttpEvent', () => {
  it('keeps method, path, lower-case headers, query, body and request id', () => {
    // Prepare
    const event = httpEvent('post', '/organizations', { query: { limit: '5' }, headers: { 'X-Trace': 't' }, body: { name: 'Acme' } });
    event.headers = { ...event.headers, 'Content-Type': 'application/json' };
    // Act
    const parsed = parseHttpEvent(event);
    // Assess
    expect(parsed).toMatchObject({ method: 'POST', path: '/organizations', query: { limit: '5' }, body: '{"name":"Acme"}', requestId: event.requestContext.requestId });
    expect(parsed.headers).toMatchObject({ 'x-trace': 't', 'content-type': 'application/json' });
  });

  it('decodes a base64-encoded body and defaults a missing query and body', () => {
    // Act
    const encoded = parseHttpEvent(httpEvent('POST', '/organizations', { body: 'héllo', base64: true }));
    const bare = parseHttpEvent(httpEvent('GET', '/health'));
    // Assess
    expect(encoded.body).toBe('héllo');
    expect(bare).toMatchObject({ query: {}, body: null });
  });

  it('takes null for a missing body, query or headers, as serverless-offline sends them', () => {
    // Prepare
    const event = { ...httpEvent('GET', '/organizations'), body: null, queryStringParameters: null, headers: null };
    // Act
    const parsed = parseHttpEvent(event);
    // Assess
    expect(parsed).toMatchObject({ method: 'GET', headers: {}, query: {}, body: null });
  });

  it.each([
    ['a REST API (payload 1.0) event', { httpMethod: 'GET', path: '/health', version: '1.0' }],
    ['a direct invocation', { action: 'status' }],
    ['nothing', undefined],
  ])('refuses %s as INTERNAL, with the problems in the cause only', (_case, event) => {
    // Act
    const error = refusal(() => parseHttpEvent(event));
    // Assess
    expect(error).toMatchObject({ code: 'INTERNAL', status: 500, message: 'The request could not be handled.' });
    expect(String((error.cause as Error).message)).toContain('not an HTTP API payload v2.0 event');
  });
});

describe('Function: readJsonBody', () => {
  it.each([['application/json'], ['application/json; charset=utf-8'], ['Application/JSON'], ['application/merge-patch+json']])(
    'reads a body sent as %s',
    (type) => {
      // Act
      const body = readJsonBody(request({ headers: { 'content-type': type }, body: '{"name":"Acme"}' }));
      // Assess
      expect(body).toEqual({ name: 'Acme' });
    },
  );

  it.each([
    ['no content type', {}, '{}', 'UNSUPPORTED_MEDIA_TYPE', 415],
    ['text/plain', { 'content-type': 'text/plain' }, '{}', 'UNSUPPORTED_MEDIA_TYPE', 415],
    ['an empty body', { 'content-type': 'application/json' }, '  ', 'INVALID_JSON', 400],
    ['broken JSON', { 'content-type': 'application/json' }, '{"name":', 'INVALID_JSON', 400],
    ['a huge body', { 'content-type': 'application/json' }, `"${'x'.repeat(MAX_BODY_BYTES)}"`, 'PAYLOAD_TOO_LARGE', 413],
  ])('refuses %s', (_case, headers, body, code, status) => {
    // Act
    const error = refusal(() => readJsonBody(request({ headers, body })));
    // Assess
    expect(error).toMatchObject({ code, status });
  });

  it('never repeats the body in its message', () => {
    // Act
    const error = refusal(() => readJsonBody(request({ headers: { 'content-type': 'application/json' }, body: '{"password": "hunter2"' })));
    // Assess
    expect(error.message).toBe('The request body is not valid JSON.');
  });
});
