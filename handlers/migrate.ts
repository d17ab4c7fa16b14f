import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { AwsClients } from '../lib/adapters/lambda/aws-clients';
import { parseLambdaEnvironment } from '../lib/adapters/lambda/environment';
import { adoptInvocation, type AdoptResponse } from '../lib/adapters/lambda/adopt-invocation';
import { driftInvocation, type DriftResponse } from '../lib/adapters/lambda/drift-invocation';
import { parseEvent } from '../lib/adapters/lambda/event';
import { outcomeOf, runRequestFor, type MigrateResponse } from '../lib/adapters/lambda/invocation';
import { resolveInvocation, type ResolveResponse } from '../lib/adapters/lambda/resolve-invocation';
import { failInvocation } from '../lib/adapters/lambda/invocation-error';
import { blockedOnTheFunction, remedyOnTheFunction } from '../lib/adapters/lambda/function-remedy';
import { PowertoolsEventLogger } from '../lib/adapters/lambda/logger';
import { stageOrderRecords } from '../lib/adapters/lambda/stage-order-records';
import { withLambdaDatabase } from '../lib/adapters/lambda/with-lambda-database';
import { S3BundleSource } from '../lib/adapters/s3/s3-bundle-source';
import { runMigrations } from '../lib/run';
import { asRunnerError } from '../lib/core/errors';

// Module scope: warm invocations reuse the logger, the AWS clients and (in S3BundleSource) verified bundles.
const powertools = new Logger({ serviceName: 'stagegate' });
const logger = new PowertoolsEventLogger(powertools);
const clients = new AwsClients();
const clock = { now: () => Date.now() };

/**
 * The migrate function. Event: `{"action": "plan" | "migrate" | "status" | "drift", "bundle": {"bucket", "key", "sha256"}, "target"?, "rehearse"?: true}`
 * (`target`: plan or migrate to a migration id, `<app>/zero` or `zero`, reverting what it requires;
 * `rehearse` only with `plan`, and not with `target`; `migrate` may add `"stageOrderOverride": {"reason"}`;
 * `drift` may add `"accept": {"reason"}`), or `{"action": "resolve", "id", "outcome": "applied" | "rolled-back", "reason"?}`
 * (no bundle: it settles a dirty migration's ledger row, as `stagegate resolve`),
 * or `{"action": "adopt", "bundle", "id", "force"?: true, "reason"?}` (as `stagegate adopt`; `force` needs a reason).
 * With a stage order (`STAGEGATE_STAGES`), `migrate` refuses migrations the previous stage has not applied
 * and records this stage's state after success.
 * Returns the `--json` result plus `target`; a failure throws, with the error code as `errorType`
 * (see `formatInvocationErrorMessage` for `errorMessage`).
 *
 * @example
 * await handler({ action: 'status', bundle: { bucket: 'deploys', key: 'stagegate/bundles/ab….json.gz', sha256: 'ab…' } }, context);
 * // { ok: true, action: 'status', status: 'pending', …, target: 'migrator@db.internal:5432/app' }
 */
export async function handler(event: unknown, context: Context): Promise<MigrateResponse | DriftResponse | ResolveResponse | AdoptResponse> {
  powertools.resetKeys();
  powertools.addContext(context);
  let stage: string | null = null;
  try {
    const request = parseEvent(event);
    const config = parseLambdaEnvironment(process.env);
    stage = config.stage;
    if (request.action === 'resolve') {
      powertools.appendKeys({ stage: config.stage ?? undefined, migration: request.id });
      return await resolveInvocation(request, context, config, { clients, logger });
    }
    if (request.action === 'adopt') {
      powertools.appendKeys({ bundle: request.bundle.sha256, stage: config.stage ?? undefined, migration: request.id });
      return await adoptInvocation(request, context, config, { clients, logger, clock });
    }
    powertools.appendKeys({ bundle: request.bundle.sha256, stage: config.stage ?? undefined, ...(request.action === 'drift' ? {} : { to: request.target }) });
    if (request.action === 'drift') return await driftInvocation(request, context, config, { clients, logger });
    const run = runRequestFor(request, context, config, clock);
    const s3 = clients.s3({ region: config.region, endpoint: config.s3Endpoint });
    const source = new S3BundleSource(s3, request.bundle);
    const stages = stageOrderRecords(config, request, s3);
    const response = await withLambdaDatabase(config, { clients, logger }, async (db, target) => {
      const result = await runMigrations({ source, db, logger, clock, ...(stages ? { stages } : {}) }, run, config.settings);
      // `status` reports what migrate would stop with: its remedy must be one that works on the stage too.
      const place = { functionName: context.functionName, stage };
      return { ...result, ...(result.blocked && { blocked: blockedOnTheFunction(result.blocked, place, target) }), target };
    });
    logger.info('invocation.completed', outcomeOf(response));
    return response;
  } catch (error) {
    throw failInvocation(remedyOnTheFunction(asRunnerError(error), { functionName: context.functionName, stage }), logger);
  }
}
