import { InvokeCommand, waitUntilFunctionActiveV2, type LambdaClient } from '@aws-sdk/client-lambda';
import { ErrorCode, LambdaInvokeFailedError, RemoteRunError, type MigrationRunnerError } from '../core/errors';
import type { RunResult } from '../core/result';
import { parseInvocationErrorMessage } from '../core/error-text';
import type { AdoptEvent } from '../adapters/lambda/adopt-event';
import type { MigrateEvent } from '../adapters/lambda/event';


/** How long to wait for a function in `Pending` or `Inactive` state to become active. */
const ACTIVATION_WAIT_S = 300;

/**
 * Invokes a stage's migrate function once, synchronously, and returns its
 * result (a `RunResult`; `T` for other actions). A function that is not active yet is waited for, then invoked
 * again; every other failure becomes a typed error: the function's own
 * stagegate error (same code as a local run) or `LAMBDA_INVOKE_FAILED`.
 * `stop` ends the wait for the answer (the function's run goes on).
 *
 * @example
 * const result = await invokeMigrate(lambda, 'svc-prod-migrate', { action: 'status', bundle: ref });
 */
export async function invokeMigrate<T = RunResult>(lambda: LambdaClient, functionName: string, event: Exclude<MigrateEvent, { action: 'adopt' }> | AdoptEvent, stop?: AbortSignal): Promise<T> {
  const command = new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(event)) });
  // Aborting ends only the wait for the answer: the function runs on (the caller says so, see run-remote.ts).
  const options = stop ? { abortSignal: stop } : {};
  let response;
  try {
    response = await lambda.send(command, options);
  } catch (error) {
    if (!isNotActive(error)) throw invokeError(functionName, error);
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: ACTIVATION_WAIT_S, ...options }, { FunctionName: functionName }).catch((waitError: unknown) => {
      throw stop?.aborted ? new InvokeNotSent() : invokeError(functionName, waitError);
    });
    // Stopped while the function became active: the function was never asked to run anything.
    if (stop?.aborted) throw new InvokeNotSent();
    response = await lambda.send(command, options).catch((retryError: unknown) => {
      throw invokeError(functionName, retryError);
    });
  }
  const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
  if (response.FunctionError) throw functionError(functionName, text);
  try {
    // The shape is the function's: a RunResult, or for `drift` a DriftResult.
    return JSON.parse(text) as T;
  } catch (error) {
    throw new LambdaInvokeFailedError(functionName, `its answer is not JSON: ${text.slice(0, 200)}`, 'Check that the function runs this version of stagegate.', error);
  }
}

/**
 * `stop` came before the function was asked to run anything (it was not
 * active yet, and the wait for it ended): nothing goes on in the function.
 *
 * @example
 * if (caught instanceof InvokeNotSent) throw stageInterrupted(request, false, applied);
 */
export class InvokeNotSent extends Error {
  constructor() {
    super('stopped before the function was invoked');
    this.name = 'InvokeNotSent';
  }
}

function isNotActive(error: unknown): boolean {
  const e = error as { name?: string; message?: string };
  return e.name === 'ResourceConflictException' && /Pending|Inactive/i.test(e.message ?? '');
}

function invokeError(functionName: string, error: unknown): MigrationRunnerError {
  const e = error as { name?: string; message?: string };
  const reason = `${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
  switch (e.name) {
    case 'ResourceNotFoundException':
      return new LambdaInvokeFailedError(functionName, reason, 'Deploy the service to this stage first, or name the function with --function (and check --region).', error);
    case 'AccessDeniedException':
    case 'UnrecognizedClientException':
    case 'ExpiredTokenException':
      return new LambdaInvokeFailedError(functionName, reason, 'Check your AWS credentials (profile, SSO session) and that they allow lambda:InvokeFunction on this function.', error);
    case 'TooManyRequestsException':
      return new LambdaInvokeFailedError(functionName, reason, 'The function is throttled; run again in a minute.', error);
    default:
      return new LambdaInvokeFailedError(
        functionName,
        reason,
        'The call ended without an answer; a migration may still be running on the stage. Check with `stagegate status --stage <stage>`; a new run waits for the lock and continues.',
        error,
      );
  }
}

/** Rebuilds the function's error: `errorType` is the stable code, `errorMessage` holds message, remedy and details. */
function functionError(functionName: string, payload: string): MigrationRunnerError {
  let parsed: { errorType?: string; errorMessage?: string; trace?: unknown } = {};
  try {
    parsed = JSON.parse(payload) as typeof parsed;
  } catch {
    // Not JSON: reported below as an unexpected failure.
  }
  const text = parsed.errorMessage ?? payload.slice(0, 500);
  const { code, message, remedy, details } = parseInvocationErrorMessage(text);
  const type = errorCodeOf(parsed, code);
  if (!(Object.values(ErrorCode) as string[]).includes(type)) {
    return new LambdaInvokeFailedError(functionName, `the function failed with ${type}: ${text.slice(0, 500)}`, 'Read the function\'s CloudWatch logs; if it timed out or ran out of memory, run again: a new run continues where this one stopped.');
  }
  return new RemoteRunError(type as ErrorCode, message, remedy || 'See the function\'s logs.', { ...details, function: functionName });
}

/**
 * The stable code of a function error. Lambda reports it as `errorType`; a
 * local emulator (serverless-offline) always says `Error` there, but keeps the
 * stack, whose first line the handler writes as `<CODE>: <message>`, and the
 * message's details repeat the code.
 */
function errorCodeOf(payload: { errorType?: string; trace?: unknown }, codeInMessage: string | null): string {
  const known = Object.values(ErrorCode) as string[];
  const first = Array.isArray(payload.trace) && typeof payload.trace[0] === 'string' ? payload.trace[0] : '';
  const candidates = [payload.errorType, /^([A-Z_]+):/.exec(first)?.[1], codeInMessage ?? undefined];
  return candidates.find((c): c is string => c !== undefined && known.includes(c)) ?? payload.errorType ?? 'Unknown';
}
