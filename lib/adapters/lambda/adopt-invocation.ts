import type { Context } from 'aws-lambda';
import { adoptMigration, type AdoptResult } from '../../adopt';
import { MigrationRunnerError } from '../../core/errors';
import type { Clock } from '../../ports';
import { PgScratchDatabases } from '../postgres';
import { S3BundleSource } from '../s3/s3-bundle-source';
import type { AwsClients } from './aws-clients';
import type { LambdaConfig } from './environment';
import type { MigrateEvent } from './event';
import { functionActor } from './invocation';
import { withLambdaDatabase, type LambdaDatabaseDependencies } from './with-lambda-database';

/** The migrate function's answer to an `adopt` event: what `stagegate adopt --json` prints, with `target`. */
export type AdoptResponse = AdoptResult & { target: string };

/**
 * An `adopt` event: the engine of the local command (`lib/adopt.ts`) on the
 * function's own database, with the bundle the event names: the ledger
 * lock, the proof on a scratch database made on the same server as the
 * function's user (which needs CREATEDB), `ADOPT_REFUSED`, and the run
 * recorded as the function's. Lambda's deadline, less the safety margin,
 * caps the lock wait and each replay, as for a migrate run.
 *
 * @example
 * await adoptInvocation({ action: 'adopt', bundle, id: 'shop/0003_refunds' }, context, config, { clients, logger, clock });
 */
export function adoptInvocation(
  event: Extract<MigrateEvent, { action: 'adopt' }>,
  context: Pick<Context, 'functionName' | 'awsRequestId' | 'getRemainingTimeInMillis'>,
  config: LambdaConfig,
  deps: LambdaDatabaseDependencies & { clients: AwsClients; clock: Clock },
): Promise<AdoptResponse> {
  const request = {
    id: event.id,
    actor: functionActor(context),
    stopAt: deps.clock.now() + context.getRemainingTimeInMillis() - config.safetyMarginMs,
    ...(event.force ? { force: event.force } : {}),
  };
  const source = new S3BundleSource(deps.clients.s3({ region: config.region, endpoint: config.s3Endpoint }), event.bundle);
  return withLambdaDatabase(config, deps, async (db, target, connection) => {
    const scratch = new PgScratchDatabases(connection, config.schema, target);
    try {
      return { ...(await adoptMigration({ source, db, scratch, logger: deps.logger, clock: deps.clock }, request, config.settings)), target };
    } catch (error) {
      // SCRATCH_DATABASE_FAILED does not know the migration; its remedy on the stage names it.
      if (error instanceof MigrationRunnerError) error.details.migration ??= event.id;
      throw error;
    }
  });
}
