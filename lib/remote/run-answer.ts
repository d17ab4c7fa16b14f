import { ErrorCode, LambdaInvokeFailedError, RemoteRunError } from '../core/errors';
import { RunStatus, type RunResult } from '../core/result';
import type { AdoptResult } from '../adopt';
import type { ResolveResult } from '../resolve';

const STATUSES = Object.values(RunStatus) as string[];
const CODES = Object.values(ErrorCode) as string[];
const REMEDY = 'Check that custom.stagegate.migrateFunction names the function whose handler is handlers/migrate.ts, and that it runs this version of stagegate; then run again.';

/**
 * The migrate function's answer checked as a run result: `ok: true`, a
 * known status, and `applied`/`pending` lists. A failure result returned
 * instead of thrown (`ok: false`) becomes its own error (same code); any
 * other shape (another function's answer, `null`) becomes
 * `LAMBDA_INVOKE_FAILED`, so no caller reads an answer it cannot trust.
 *
 * @example
 * const result = parseRunAnswer(await invokeMigrate<unknown>(lambda, name, event), name);
 */
export function parseRunAnswer(answer: unknown, functionName: string): RunResult {
  const value = typeof answer === 'object' && answer !== null && !Array.isArray(answer) ? (answer as Record<string, unknown>) : null;
  if (value?.ok === false) throw failureOf(value, functionName);
  const problem =
    value === null
      ? `its answer is ${answer === null ? 'null' : typeof answer}, not a run result`
      : value.ok !== true || !Array.isArray(value.applied) || !Array.isArray(value.pending)
        ? `its answer is not a stagegate run result (fields: ${Object.keys(value).slice(0, 10).join(', ') || 'none'})`
        : !STATUSES.includes(String(value.status))
          ? `its answer has the unknown status ${JSON.stringify(value.status)?.slice(0, 40)}`
          : null;
  if (problem !== null) throw new LambdaInvokeFailedError(functionName, problem, REMEDY);
  return value as unknown as RunResult;
}

/**
 * The migrate function's answer to a `resolve` event, checked as
 * {@link parseRunAnswer} checks a run result: `ok: true`, `action:
 * "resolve"`, the id and a known outcome, else `LAMBDA_INVOKE_FAILED` (a
 * function of an older stagegate answers a resolve event with `EVENT_INVALID`,
 * which is thrown as it is).
 *
 * @example
 * const result = parseResolveAnswer(await invokeMigrate<unknown>(lambda, name, event), name);
 */
export function parseResolveAnswer(answer: unknown, functionName: string): ResolveResult {
  const value = typeof answer === 'object' && answer !== null && !Array.isArray(answer) ? (answer as Record<string, unknown>) : null;
  if (value?.ok === false) throw failureOf(value, functionName);
  const valid = value !== null && value.ok === true && value.action === 'resolve' && typeof value.id === 'string' && (value.outcome === 'applied' || value.outcome === 'rolled-back');
  if (!valid) throw new LambdaInvokeFailedError(functionName, `its answer is not a stagegate resolve result (fields: ${Object.keys(value ?? {}).slice(0, 10).join(', ') || 'none'})`, REMEDY);
  return value as unknown as ResolveResult;
}

/**
 * The migrate function's answer to an `adopt` event, checked as
 * {@link parseResolveAnswer} checks a resolve's: `ok: true`, `action:
 * "adopt"`, the id, `verified` and the lists, else `LAMBDA_INVOKE_FAILED`
 * (a function of an older stagegate answers an adopt event with
 * `EVENT_INVALID`, which is thrown as it is).
 *
 * @example
 * const result = parseAdoptAnswer(await invokeMigrate<unknown>(lambda, name, event), name);
 */
export function parseAdoptAnswer(answer: unknown, functionName: string): AdoptResult {
  const value = typeof answer === 'object' && answer !== null && !Array.isArray(answer) ? (answer as Record<string, unknown>) : null;
  if (value?.ok === false) throw failureOf(value, functionName);
  const valid =
    value !== null && value.ok === true && value.action === 'adopt' && typeof value.id === 'string' && typeof value.verified === 'boolean' && Array.isArray(value.objects) && Array.isArray(value.skipped);
  if (!valid) throw new LambdaInvokeFailedError(functionName, `its answer is not a stagegate adopt result (fields: ${Object.keys(value ?? {}).slice(0, 10).join(', ') || 'none'})`, REMEDY);
  return value as unknown as AdoptResult;
}

function failureOf(value: Record<string, unknown>, functionName: string): LambdaInvokeFailedError | RemoteRunError {
  const error = (typeof value.error === 'object' && value.error !== null ? value.error : {}) as Record<string, unknown>;
  const code = String(error.code);
  if (!CODES.includes(code)) return new LambdaInvokeFailedError(functionName, `it answered a failure without a stagegate error code (${code.slice(0, 40)})`, REMEDY);
  const message = typeof error.message === 'string' ? error.message : `The migrate function ${functionName} reported ${code}.`;
  const remedy = typeof error.remedy === 'string' ? error.remedy : 'See the function\'s logs.';
  return new RemoteRunError(code as ErrorCode, message, remedy, { function: functionName, applied: Array.isArray(value.applied) ? value.applied : [] });
}
