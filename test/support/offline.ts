import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { resolve } from 'node:path';
import { startOffline as startLocalOffline, type Offline, type OfflineOptions as LocalOfflineOptions } from '../../lib/local/serverless-offline';

export type { Offline } from '../../lib/local/serverless-offline';

/** The repository: the service folder the tests run the emulator from. */
const ROOT = resolve(__dirname, '../..');

/** The emulator's options without `serviceDir`: tests always run this repository's service. Its 45 s start-up limit is under jest's 60 s hook limit, so its clearer error wins. */
export type OfflineOptions = Omit<LocalOfflineOptions, 'serviceDir'>;

/**
 * Starts this repository's `local` stage under serverless-offline
 * (`lib/local/serverless-offline.ts`). Start one per test file: it takes a few seconds.
 *
 * @example
 * const offline = await startOffline({ env: { DATABASE_URL: db.url, STAGEGATE_S3_ENDPOINT: s3.endpoint } });
 * afterAll(() => offline.stop());
 * const lambda = offlineLambdaClient(offline);
 */
export function startOffline(options: OfflineOptions): Promise<Offline> {
  return startLocalOffline({ serviceDir: ROOT, ...options });
}

/**
 * A Lambda client for the emulator: its endpoint, us-east-1 and dummy
 * credentials (serverless-offline checks neither), no retries.
 *
 * @example
 * const lambda = offlineLambdaClient(offline);
 * await lambda.send(new InvokeCommand({ FunctionName: offline.functionName('migrate'), Payload: … }));
 */
export function offlineLambdaClient(offline: Pick<Offline, 'lambdaEndpoint'>): LambdaClient {
  return new LambdaClient({
    endpoint: offline.lambdaEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'offline', secretAccessKey: 'offline' },
    maxAttempts: 1,
  });
}

/** A synchronous invocation's outcome, its payload parsed as JSON. */
export interface OfflineInvocation {
  statusCode: number | undefined;
  /** `Unhandled` when the handler threw, as on AWS; undefined on success. */
  functionError: string | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests walk whatever the handler returned
  payload: any;
}

/**
 * Invokes a function synchronously (`RequestResponse`) and parses its payload.
 *
 * @example
 * const { functionError, payload } = await invokeOffline(lambda, offline.functionName('migrate'), { action: 'status', bundle });
 */
export async function invokeOffline(lambda: LambdaClient, functionName: string, event: unknown): Promise<OfflineInvocation> {
  const response: InvokeCommandOutput = await lambda.send(
    new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(event)) }),
  );
  const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
  return { statusCode: response.StatusCode, functionError: response.FunctionError, payload: text === '' ? undefined : JSON.parse(text) };
}

/**
 * The `errorType` a failed invocation would have on AWS: the thrown error's
 * `name`. serverless-offline 13 always answers `errorType: "Error"` and keeps
 * the name only in the first line of `trace` (`<name>: <first message line>`),
 * so that is where it is read from when `errorType` is `Error`.
 *
 * @example
 * expect(errorTypeOf(payload)).toBe('EVENT_INVALID');
 */
export function errorTypeOf(payload: { errorType?: unknown; trace?: unknown }): string | undefined {
  if (typeof payload.errorType === 'string' && payload.errorType !== 'Error') return payload.errorType;
  const first = Array.isArray(payload.trace) ? payload.trace[0] : undefined;
  const match = typeof first === 'string' ? /^([A-Za-z_$][\w$]*): /.exec(first) : null;
  return match?.[1] ?? (typeof payload.errorType === 'string' ? payload.errorType : undefined);
}
