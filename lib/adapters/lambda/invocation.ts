import type { Context } from 'aws-lambda';
import type { RunResult } from '../../core/result';
import type { Clock } from '../../ports';
import type { RunRequest } from '../../run';
import type { LambdaConfig } from './environment';
import type { MigrateEvent } from './event';

/**
 * The migrate function's answer: the same JSON `stagegate … --json` prints,
 * with `target`, the database as `user@host:port/database` (no password).
 */
export type MigrateResponse = RunResult & { target: string };

/**
 * The engine's request for one invocation. The deadline is Lambda's: the
 * clock's now plus the time the context says is left, both read at the same
 * moment; the engine keeps `safetyMarginMs` of it in reserve, starts no
 * migration after that, and caps the lock wait and `statement_timeout` to
 * what is left. The actor names the function and the request for the ledger.
 *
 * @example
 * const request = runRequestFor(event, context, config, { now: () => Date.now() });
 * // { action: 'migrate', actor: 'lambda:svc-prod-migrate:8f0e…', deadline: 1767225600000, safetyMarginMs: 30000 }
 */
export function runRequestFor(
  event: Exclude<MigrateEvent, { action: 'drift' | 'resolve' | 'adopt' }>,
  context: Pick<Context, 'functionName' | 'awsRequestId' | 'getRemainingTimeInMillis'>,
  config: Pick<LambdaConfig, 'safetyMarginMs'> & Partial<Pick<LambdaConfig, 'stage'>>,
  clock: Clock,
): RunRequest {
  return {
    action: event.action,
    actor: functionActor(context),
    deadline: clock.now() + context.getRemainingTimeInMillis(),
    safetyMarginMs: config.safetyMarginMs,
    ...(config.stage ? { stage: config.stage } : {}),
    target: event.target,
    rehearse: event.rehearse,
    stageOrderOverride: event.stageOrderOverride,
  };
}

/**
 * Who a run of the migrate function is recorded as, in the ledger's `runs`
 * and `applied_by`: the function and its request.
 *
 * @example
 * functionActor(context); // 'lambda:svc-prod-migrate:8f0e…'
 */
export function functionActor(context: Pick<Context, 'functionName' | 'awsRequestId'>): string {
  return `lambda:${context.functionName}:${context.awsRequestId}`;
}

/**
 * The outcome in one log event: counts rather than lists, so it stays small.
 *
 * @example
 * logger.info('invocation.completed', outcomeOf(response));
 */
export function outcomeOf(response: MigrateResponse): Record<string, unknown> {
  return {
    action: response.action,
    status: response.status,
    applied: response.applied.length,
    ...(response.to === undefined ? {} : { to: response.to, reverted: response.reverted?.length ?? 0 }),
    pending: response.pending.length,
    durationMs: response.durationMs,
    target: response.target,
  };
}
