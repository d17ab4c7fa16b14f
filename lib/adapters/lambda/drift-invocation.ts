import type { Context } from 'aws-lambda';
import { driftCommand, type DriftResult } from '../../drift';
import type { LambdaConfig } from './environment';
import type { MigrateEvent } from './event';
import { functionActor } from './invocation';
import { withLambdaDatabase, type LambdaDatabaseDependencies } from './with-lambda-database';

/** The migrate function's answer to a `drift` event: what `stagegate drift --json` prints, with `target`. */
export type DriftResponse = DriftResult & { target: string };

/**
 * A `drift` event: compares the stage's schema with its baseline (a
 * difference fails the invocation with `DRIFT_DETECTED`), or with `accept`
 * records the live schema as the baseline, with the reason, in the run
 * history. The bundle is not read: drift is about the database alone.
 *
 * @example
 * await driftInvocation({ action: 'drift', bundle, accept: { reason: 'hotfix' } }, context, config, { clients, logger });
 */
export function driftInvocation(
  event: Extract<MigrateEvent, { action: 'drift' }>,
  context: Pick<Context, 'functionName' | 'awsRequestId'>,
  config: LambdaConfig,
  deps: LambdaDatabaseDependencies,
): Promise<DriftResponse> {
  const request = { actor: functionActor(context), accept: event.accept };
  return withLambdaDatabase(config, deps, async (db, target) => ({
    ...(await driftCommand({ db, logger: deps.logger }, request, config.settings)),
    target,
  }));
}
