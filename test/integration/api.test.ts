import { createServer } from 'node:net';
import { handler } from '../../handlers/api';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { bodyOf, httpEvent, type HttpEventOptions } from '../support/http-event';
import { lambdaContext } from '../support/lambda-context';
import { captureOutput, setEnv, type CapturedOutput } from '../support/lambda-invoke';
import { REPO_MIGRATIONS, runOnFolder } from '../support/workspace';

const LAST_APPLIED = 'organization/0003_organization_name_index';

interface Organization {
  id: string;
  name: string;
  type: string | null;
  createdAt: string;
}
interface ErrorBody {
  error: { code: string; message: string; fields?: { field: string; problem: string }[] };
}

/** A local port nobody listens on: the one the OS just handed out and took back. */
function closedPort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

const call = (method: string, path: string, options?: HttpEventOptions) => handler(httpEvent(method, path, options), lambdaContext());

describe('Integration: the example API handler over the migrated example schema', () => {
  let db: TestDatabase;
  let output: CapturedOutput;
  let restoreEnv: () => void;

  beforeAll(async () => {
    db = await createTestDatabase();
    await runOnFolder(REPO_MIGRATIONS, db.url, { action: 'migrate' });
    restoreEnv = setEnv({
      DATABASE_URL: db.url,
      STAGEGATE_DB_TLS: 'disable',
      STAGEGATE_DB_IAM: undefined,
      STAGEGATE_DB_SECRET_ARN: undefined,
      STAGEGATE_SCHEMA: undefined,
      POWERTOOLS_DEV: undefined,
    });
  });
  beforeEach(() => {
    output = captureOutput();
  });
  afterEach(() => output.restore());
  afterAll(async () => {
    // Pointing the function elsewhere ends its pool, so dropping the database disturbs no connection of ours.
    process.env.DATABASE_URL = `postgres://nobody@127.0.0.1:${await closedPort()}/none`;
    const quiet = captureOutput();
    await call('GET', '/health');
    quiet.restore();
    restoreEnv();
    await db.drop();
  });

  const apiSessions = async (): Promise<number> =>
    (await db.query<{ n: number }>("select count(*)::int as n from pg_stat_activity where application_name = 'stagegate-example-api' and datname = $1", [db.name]))[0]?.n ?? -1;

  it('creates organizations, lists them newest first with their type, and gets one', async () => {
    // Act
    const acme = await call('POST', '/organizations', { body: { name: '  Acme  ', type: 'company' } });
    const beta = await call('POST', '/organizations', { body: { name: 'Beta', type: null } });
    const list = await call('GET', '/organizations');
    const firstOnly = await call('GET', '/organizations', { query: { limit: '1' } });
    const created = bodyOf<Organization>(acme);
    const one = await call('GET', `/organizations/${created.id}`);
    // Assess
    expect(acme.statusCode).toBe(201);
    expect(acme.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', location: `/organizations/${created.id}` });
    expect(created).toEqual({ id: expect.stringMatching(/^\d+$/), name: 'Acme', type: 'company', createdAt: expect.any(String) });
    expect(Date.parse(created.createdAt)).not.toBeNaN();
    expect(bodyOf<Organization>(beta)).toMatchObject({ name: 'Beta', type: null });
    expect(list.statusCode).toBe(200);
    const names = bodyOf<{ organizations: Organization[] }>(list).organizations.map((o) => o.name);
    expect(names.slice(0, 2)).toEqual(['Beta', 'Acme']);
    expect(bodyOf<{ organizations: Organization[] }>(firstOnly).organizations.map((o) => o.name)).toEqual(['Beta']);
    expect(one.statusCode).toBe(200);
    expect(bodyOf(one)).toEqual(created);
    expect(await db.query('select o.name, t.name as type from organization o left join organization_organizationtype t on t.id = o.type_id where o.id = $1', [created.id])).toEqual([
      { name: 'Acme', type: 'company' },
    ]);
  });

  it('accepts a base64-encoded JSON body and a JSON media type with parameters', async () => {
    // Act
    const response = await call('POST', '/organizations', {
      body: JSON.stringify({ name: 'Encoded' }),
      base64: true,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    // Assess
    expect(response.statusCode).toBe(201);
    expect(bodyOf<Organization>(response)).toMatchObject({ name: 'Encoded', type: null });
  });

  it.each([
    ['an empty name, a wrong type and an unknown field', { name: ' ', type: 5, colour: 'red' }, ['name', 'type', 'colour']],
    ['no name', { type: 'company' }, ['name']],
    ['a name that is too long', { name: 'x'.repeat(201) }, ['name']],
    ['an array', [{ name: 'Acme' }], ['(body)']],
  ])('refuses a body with %s, naming each field, and inserts nothing', async (_case, body, fields) => {
    // Prepare
    const before = await db.query('select count(*)::int as n from organization');
    // Act
    const response = await call('POST', '/organizations', { body });
    // Assess
    const { error } = bodyOf<ErrorBody>(response);
    expect(response.statusCode).toBe(400);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.fields?.map((f) => f.field).sort()).toEqual([...fields].sort());
    for (const field of fields) expect(error.message).toContain(field);
    expect(await db.query('select count(*)::int as n from organization')).toEqual(before);
  });

  it('refuses an unknown type, naming the types that exist', async () => {
    // Act
    const response = await call('POST', '/organizations', { body: { name: 'Guild', type: 'guild' } });
    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf<ErrorBody>(response).error).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'The request is invalid: type must be one of company, government, nonprofit.',
      fields: [{ field: 'type', problem: 'must be one of company, government, nonprofit' }],
    });
    expect(await db.query("select id from organization where name = 'Guild'")).toEqual([]);
  });

  it.each([
    ['/organizations?limit=0', { limit: '0' }, 'limit'],
    ['/organizations?limit=101', { limit: '101' }, 'limit'],
    ['/organizations?limit=ten', { limit: 'ten' }, 'limit'],
  ])('refuses GET %s naming the parameter', async (_path, query, field) => {
    // Act
    const response = await call('GET', '/organizations', { query });
    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf<ErrorBody>(response).error.fields).toEqual([{ field, problem: 'must be a whole number from 1 to 100' }]);
  });

  it('answers 400 for an id that is not a number, 404 for an organization or path that does not exist', async () => {
    // Act
    const badId = await call('GET', '/organizations/abc');
    const missing = await call('GET', '/organizations/999999999');
    const nowhere = await call('GET', '/teams');
    // Assess
    expect(badId.statusCode).toBe(400);
    expect(bodyOf<ErrorBody>(badId).error.fields).toEqual([{ field: 'id', problem: 'must be a positive whole number' }]);
    expect(missing.statusCode).toBe(404);
    expect(bodyOf<ErrorBody>(missing).error).toEqual({ code: 'NOT_FOUND', message: 'Organization 999999999 does not exist.' });
    expect(nowhere.statusCode).toBe(404);
    expect(bodyOf<ErrorBody>(nowhere).error.code).toBe('NOT_FOUND');
  });

  it('answers 405 with the allowed methods for a known path', async () => {
    // Act
    const response = await call('DELETE', '/organizations');
    const health = await call('POST', '/health', { body: {} });
    // Assess
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, POST');
    expect(bodyOf<ErrorBody>(response).error.code).toBe('METHOD_NOT_ALLOWED');
    expect(health.headers.allow).toBe('GET');
  });

  it('answers 400 for a body that is not JSON or is empty, and 415 for a body not sent as JSON', async () => {
    // Act
    const broken = await call('POST', '/organizations', { body: '{"name": "Acme"', headers: { 'content-type': 'application/json' } });
    const empty = await call('POST', '/organizations', { headers: { 'content-type': 'application/json' } });
    const text = await call('POST', '/organizations', { body: 'name=Acme', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const untyped = await call('POST', '/organizations', { body: '{"name": "Acme"}' });
    // Assess
    expect([broken.statusCode, empty.statusCode, text.statusCode, untyped.statusCode]).toEqual([400, 400, 415, 415]);
    expect(bodyOf<ErrorBody>(broken).error).toEqual({ code: 'INVALID_JSON', message: 'The request body is not valid JSON.' });
    expect(bodyOf<ErrorBody>(empty).error.code).toBe('INVALID_JSON');
    expect(bodyOf<ErrorBody>(text).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(bodyOf<ErrorBody>(untyped).error.message).toContain('got no Content-Type');
  });

  it('reports the most recently applied migration, which is the last one applied', async () => {
    // Prepare: the ledger's own answer, so the test follows the engine's order
    const [latest] = await db.query<{ id: string }>("select id from stagegate.migrations where state = 'applied' order by applied_at desc, id desc limit 1");
    // Act
    const response = await call('GET', '/health');
    // Assess
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual({ ok: true, schema: LAST_APPLIED });
    expect(latest?.id).toBe(LAST_APPLIED);
  });

  it('reports no schema when the ledger schema it is told to read does not exist', async () => {
    // Prepare
    process.env.STAGEGATE_SCHEMA = 'no_such_ledger';
    // Act
    const response = await call('GET', '/health').finally(() => delete process.env.STAGEGATE_SCHEMA);
    // Assess
    expect(bodyOf(response)).toEqual({ ok: true, schema: null });
  });

  it('logs one structured event per request with route, status and duration, never the body or a password', async () => {
    // Prepare
    const context = lambdaContext();
    const event = httpEvent('POST', '/organizations', { body: { name: 'Confidential Holdings 7f3a' } });
    // Act
    const response = await handler(event, context);
    // Assess
    expect(response.statusCode).toBe(201);
    const records = output.records().filter((r) => r.message === 'request.completed');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      level: 'INFO',
      service: 'stagegate-example-api',
      method: 'POST',
      route: 'POST /organizations',
      status: 201,
      function_request_id: context.awsRequestId,
      correlation_id: event.requestContext.requestId,
    });
    expect(typeof records[0]?.durationMs).toBe('number');
    expect(output.text()).not.toContain('Confidential Holdings');
    expect(output.text()).not.toContain(new URL(db.url).password);
  });

  it('reconnects when the server ends its connection between requests', async () => {
    // Prepare: a warm connection, then the server ends it (a restart, a failover, an idle timeout)
    expect((await call('GET', '/health')).statusCode).toBe(200);
    expect(await apiSessions()).toBe(1);
    await db.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'stagegate-example-api' and datname = $1", [db.name]);
    // Act
    const response = await call('GET', '/organizations');
    // Assess
    expect(response.statusCode).toBe(200);
    expect(await apiSessions()).toBe(1);
    const noticed = output.records().filter((r) => r.message === 'database.idle_connection_lost' || r.message === 'database.connection_lost');
    expect(noticed).toHaveLength(1);
    expect(noticed[0]?.level).toBe('WARN');
  });

  it('answers 503 without internals while the database is down, and recovers when it is back', async () => {
    // Prepare
    const port = await closedPort();
    process.env.DATABASE_URL = `postgres://app:pw-9c1e@127.0.0.1:${port}/app`;
    // Act
    const down = await call('GET', '/organizations');
    process.env.DATABASE_URL = db.url;
    const back = await call('GET', '/organizations');
    // Assess
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toBe('1');
    expect(bodyOf<ErrorBody>(down)).toEqual({ error: { code: 'SERVICE_UNAVAILABLE', message: 'The service is temporarily unavailable; try again in a moment.' } });
    for (const internal of [String(port), '127.0.0.1', 'ECONNREFUSED', 'pw-9c1e']) expect(down.body).not.toContain(internal);
    const logged = output.records().find((r) => r.message === 'request.completed' && r.status === 503);
    expect(logged).toMatchObject({ level: 'ERROR', code: 'SERVICE_UNAVAILABLE', cause: { code: 'DATABASE_UNREACHABLE' } });
    expect(output.text()).not.toContain('pw-9c1e');
    expect(back.statusCode).toBe(200);
  });

  it('answers 500 without internals when the function has no database configured', async () => {
    // Prepare
    delete process.env.DATABASE_URL;
    // Act
    const response = await call('GET', '/health').finally(() => (process.env.DATABASE_URL = db.url));
    // Assess
    expect(response.statusCode).toBe(500);
    expect(bodyOf<ErrorBody>(response)).toEqual({ error: { code: 'INTERNAL', message: 'An unexpected error occurred.' } });
    const logged = output.records().find((r) => r.message === 'request.completed');
    expect(logged).toMatchObject({ level: 'ERROR', status: 500, cause: { code: 'CONFIG_INVALID' } });
    expect(JSON.stringify(logged)).toContain('DATABASE_URL');
  });

  it('answers 500 to an event that is not an HTTP API v2.0 request', async () => {
    // Act
    const response = await handler({ httpMethod: 'GET', path: '/organizations' } as never, lambdaContext());
    // Assess
    expect(response.statusCode).toBe(500);
    expect(bodyOf<ErrorBody>(response).error.code).toBe('INTERNAL');
  });

  it('ends its pool when its database settings change', async () => {
    // Prepare
    expect((await call('GET', '/health')).statusCode).toBe(200);
    expect(await apiSessions()).toBe(1);
    // Act
    process.env.DATABASE_URL = `postgres://nobody@127.0.0.1:${await closedPort()}/none`;
    const response = await call('GET', '/health').finally(() => (process.env.DATABASE_URL = db.url));
    // Assess
    expect(response.statusCode).toBe(503);
    for (let i = 0; i < 50 && (await apiSessions()) > 0; i += 1) await new Promise((done) => setTimeout(done, 20));
    expect(await apiSessions()).toBe(0);
  });
});
