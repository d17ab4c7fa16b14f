import type { Context } from 'aws-lambda';
import { resolveMigration, type ResolveResult } from '../../resolve';
import type { LambdaConfig } from './environment';
import type { MigrateEvent } from './event';
import { functionActor } from './invocation';
import { withLambdaDatabase, type LambdaDatabaseDependencies } from './with-lambda-database';

/** The migrate function's answer to a `resolve` event: what `stagegate resolve --json` prints, with `target`. */
export type ResolveResponse = ResolveResult & { target: string };

/**
 * A `resolve` event: settles a dirty `no-transaction` migration on the
 * function's own database, with the engine of the local command (the ledger
 * lock, `NOT_DIRTY`, `RESOLVE_REFUSED`, the run history with the reason).
 * The run is recorded as the function's, as a migrate run on the stage is.
 *
 * @example
 * await resolveInvocation({ action: 'resolve', id: 'shop/0004_index', outcome: 'rolled-back' }, context, config, { clients, logger });
 */
export function resolveInvocation(
  event: Extract<MigrateEvent, { action: 'resolve' }>,
  context: Pick<Context, 'functionName' | 'awsRequestId'>,
  config: LambdaConfig,
  deps: LambdaDatabaseDependencies,
): Promise<ResolveResponse> {
  const request = {
    id: event.id,
    outcome: event.outcome,
    actor: functionActor(context),
    ...(event.reason === undefined ? {} : { reason: event.reason }),
  };
  return withLambdaDatabase(config, deps, async (db, target) => ({
    ...(await resolveMigration({ db, logger: deps.logger }, request, config.settings)),
    target,
  }));
}
