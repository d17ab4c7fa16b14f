import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface LambdaContextOptions {
  /** Time the invocation has left when the context is made, in ms; it then runs down in real time. Default 60 s. */
  remainingMs?: number;
  functionName?: string;
  /** Default: a new UUID, as Lambda gives each invocation. */
  requestId?: string;
}

/** The function name every test context carries unless told otherwise. */
export const TEST_FUNCTION_NAME = 'stagegate-test-migrate';

/**
 * A Lambda `Context` as the runtime passes it: fixed identity fields, and a
 * `getRemainingTimeInMillis()` that counts down from `remainingMs` like the
 * real one, so deadline behaviour can be tested with a short budget.
 *
 * @example
 * await handler(event, lambdaContext({ remainingMs: 1_500 }));
 */
export function lambdaContext(options: LambdaContextOptions = {}): Context {
  const deadline = Date.now() + (options.remainingMs ?? 60_000);
  const functionName = options.functionName ?? TEST_FUNCTION_NAME;
  const fail = (): never => {
    throw new Error('done/fail/succeed are the callback API; the handler is async and must not call them');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: options.requestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/01/01/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: fail,
    fail,
    succeed: fail,
  };
}
