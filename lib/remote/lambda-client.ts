import { LambdaClient, type LambdaClientConfig } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/** The migrate function's timeout (serverless.yml): a call may legitimately last this long. */
export const FUNCTION_TIMEOUT_MS = 900_000;

export interface LambdaClientOptions {
  region?: string;
  /** A local Lambda emulator (serverless-offline); real AWS needs none. */
  endpoint?: string;
  /** Credentials the caller resolved (the deploy plugin: the framework's); the SDK's default chain otherwise. */
  credentials?: LambdaClientConfig['credentials'];
  /** The shared-config profile the default chain reads credentials from (when no `credentials`). */
  profile?: string;
}

/**
 * A Lambda client built for long synchronous calls: exactly one attempt (the
 * SDK must never re-invoke a migration silently), a socket timeout above the
 * function's own timeout, and keep-alive so the connection is not dropped
 * by idle middleboxes while migrations run.
 *
 * @example
 * const lambda = createLambdaClient({ region: 'eu-west-1' });
 */
export function createLambdaClient(options: LambdaClientOptions = {}): LambdaClient {
  const agentOptions = { keepAlive: true, keepAliveMsecs: 30_000 };
  return new LambdaClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 10_000,
      requestTimeout: FUNCTION_TIMEOUT_MS + 60_000,
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    }),
  });
}
