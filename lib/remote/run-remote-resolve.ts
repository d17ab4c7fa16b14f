import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { Logger } from '../ports';
import type { ResolveResult } from '../resolve';
import { invokeMigrate } from './invoke-migrate';
import { parseResolveAnswer } from './run-answer';

export interface RemoteResolveRequest {
  stage: string;
  functionName: string;
  /** The dirty migration's id. */
  id: string;
  outcome: 'applied' | 'rolled-back';
  /** Why, kept in the stage's run history. */
  reason?: string;
}

/**
 * `stagegate resolve --stage`: one invocation of the stage's migrate
 * function with a `resolve` event, which settles the migration on the
 * stage's database under the ledger lock. Nothing is published: resolving
 * reads no bundle. A refusal comes back as the function's error, with the
 * code a local resolve throws (`NOT_DIRTY`, `RESOLVE_REFUSED`).
 *
 * @example
 * const result = await runRemoteResolve({ lambda, logger }, { stage: 'prod', functionName, id: 'shop/0004_index', outcome: 'rolled-back' });
 */
export async function runRemoteResolve(deps: { lambda: LambdaClient; logger: Logger }, request: RemoteResolveRequest): Promise<ResolveResult> {
  deps.logger.info('function.invoked', { function: request.functionName, stage: request.stage, attempt: 1 });
  const event = { action: 'resolve' as const, id: request.id, outcome: request.outcome, ...(request.reason === undefined ? {} : { reason: request.reason }) };
  return parseResolveAnswer(await invokeMigrate<unknown>(deps.lambda, request.functionName, event), request.functionName);
}
