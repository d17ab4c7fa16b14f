import { LambdaClient } from '@aws-sdk/client-lambda';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

interface FunctionState {
  /** Published versions (`"1"`, `"2"`…) and their descriptions. */
  versions: Map<string, string>;
  aliases: Map<string, { version: string; description: string }>;
  /** What `Invoke` answers, set by `answerInvoke`. */
  invoke?: InvokeAnswer;
}

/** The answer of a scripted `Invoke`: the payload as the function returned it, and Lambda's `X-Amz-Function-Error`. */
export interface InvokeAnswer {
  payload: string;
  functionError?: 'Unhandled' | 'Handled';
}

/** A local stand-in for the few Lambda calls the deploy gate makes about aliases and versions. */
export interface LambdaAliasStandIn {
  endpoint: string;
  /** A real SDK client pointed at the stand-in. */
  client: LambdaClient;
  /** Publishes a version with `description` (what a stack update does) and returns its number. */
  publishVersion(functionName: string, description: string): string;
  /** Creates or moves an alias directly (what CloudFormation does with the template's alias). */
  setAlias(functionName: string, aliasName: string, version: string): void;
  alias(functionName: string, aliasName: string): { version: string; description: string } | undefined;
  /** Makes `Invoke` of `functionName` answer `answer` (a function that returns something other than a run result). */
  answerInvoke(functionName: string, answer: InvokeAnswer): void;
  /** Every request, as `METHOD path`. */
  requests: string[];
  stop(): Promise<void>;
}

const ALIAS_ROUTE = /^\/2015-03-31\/functions\/([^/]+)\/aliases\/([^/]+)$/;
const CONFIGURATION_ROUTE = /^\/2015-03-31\/functions\/([^/]+)\/configuration$/;
const INVOKE_ROUTE = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/**
 * Serves Lambda's REST routes for `GetAlias`, `UpdateAlias`,
 * `GetFunctionConfiguration` (with `Qualifier`) and, for functions given an
 * answer with `answerInvoke`, `Invoke`, with JSON bodies shaped as
 * AWS sends them and `404` + `x-amzn-errortype: ResourceNotFoundException`
 * for anything missing. Nothing is checked about signatures.
 *
 * @example
 * const lambda = await startLambdaAliasStandIn();
 * const aliases = new LambdaAliasClient(lambda.client);
 */
export async function startLambdaAliasStandIn(): Promise<LambdaAliasStandIn> {
  const functions = new Map<string, FunctionState>();
  const requests: string[] = [];
  const fn = (name: string): FunctionState => {
    let state = functions.get(name);
    if (!state) functions.set(name, (state = { versions: new Map(), aliases: new Map() }));
    return state;
  };
  const server = createServer((req, res) => {
    void handle(req, res, functions, requests).catch((error: unknown) => send(res, 500, { message: String(error) }, 'ServiceException'));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new LambdaClient({ endpoint, region: REGION, credentials: { accessKeyId: 'stand-in', secretAccessKey: 'stand-in' }, maxAttempts: 1 });
  return {
    endpoint,
    client,
    publishVersion: (name, description) => {
      const state = fn(name);
      const version = String(state.versions.size + 1);
      state.versions.set(version, description);
      return version;
    },
    setAlias: (name, aliasName, version) => {
      const state = fn(name);
      state.aliases.set(aliasName, { version, description: state.aliases.get(aliasName)?.description ?? '' });
    },
    alias: (name, aliasName) => functions.get(name)?.aliases.get(aliasName),
    answerInvoke: (name, answer) => void (fn(name).invoke = answer),
    requests,
    stop: async () => {
      client.destroy();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, functions: Map<string, FunctionState>, requests: string[]): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://stand-in');
  requests.push(`${req.method} ${url.pathname}`);
  const body = await readBody(req);
  const aliasRoute = ALIAS_ROUTE.exec(url.pathname);
  if (aliasRoute) {
    const [name, aliasName] = [decodeURIComponent(aliasRoute[1] as string), decodeURIComponent(aliasRoute[2] as string)];
    const state = functions.get(name);
    const alias = state?.aliases.get(aliasName);
    if (!state || !alias) return notFound(res, `Alias not found: ${arn(name, aliasName)}`);
    if (req.method === 'PUT') {
      const update = JSON.parse(body || '{}') as { FunctionVersion?: string; Description?: string };
      if (update.FunctionVersion !== undefined) {
        if (!state.versions.has(update.FunctionVersion)) return notFound(res, `Function not found: ${arn(name, update.FunctionVersion)}`);
        alias.version = update.FunctionVersion;
      }
      if (update.Description !== undefined) alias.description = update.Description;
    } else if (req.method !== 'GET') {
      return send(res, 405, { message: `${req.method} is not served here` }, 'InvalidRequestContentException');
    }
    return send(res, 200, { AliasArn: arn(name, aliasName), Name: aliasName, FunctionVersion: alias.version, Description: alias.description, RevisionId: `${aliasName}-${alias.version}` });
  }
  const configurationRoute = CONFIGURATION_ROUTE.exec(url.pathname);
  if (configurationRoute && req.method === 'GET') {
    const name = decodeURIComponent(configurationRoute[1] as string);
    const version = url.searchParams.get('Qualifier') ?? '$LATEST';
    const description = functions.get(name)?.versions.get(version);
    if (description === undefined) return notFound(res, `Function not found: ${arn(name, version)}`);
    return send(res, 200, { FunctionName: name, FunctionArn: arn(name, version), Version: version, Description: description });
  }
  const invokeRoute = INVOKE_ROUTE.exec(url.pathname);
  const answer = invokeRoute && req.method === 'POST' ? functions.get(decodeURIComponent(invokeRoute[1] as string))?.invoke : undefined;
  if (answer) {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amzn-requestid': 'stand-in', 'x-amz-executed-version': '$LATEST' };
    if (answer.functionError) headers['x-amz-function-error'] = answer.functionError;
    res.writeHead(200, headers).end(answer.payload);
    return;
  }
  return send(res, 404, { message: `No route ${req.method} ${url.pathname} in the stand-in` }, 'UnknownOperationException');
}

function arn(name: string, qualifier: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}:${qualifier}`;
}

function notFound(res: ServerResponse, message: string): void {
  send(res, 404, { Type: 'User', Message: message }, 'ResourceNotFoundException');
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>, errorType?: string): void {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amzn-requestid': 'stand-in' };
  if (errorType) headers['x-amzn-errortype'] = errorType;
  res.writeHead(status, headers).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((done, fail) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => done(text));
    req.on('error', fail);
  });
}
