import { Logger } from '@aws-lambda-powertools/logger';
import { outcomeOf, runRequestFor } from '../../lib/adapters/lambda/invocation';
import { PowertoolsEventLogger } from '../../lib/adapters/lambda/logger';
import { lambdaContext } from '../support/lambda-context';
import { captureOutput } from '../support/lambda-invoke';

describe('Function: runRequestFor', () => {
  it("turns Lambda's remaining time into the engine's deadline and names the invocation as the actor", () => {
    // Prepare
    const context = { functionName: 'svc-prod-migrate', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 900_000 };
    // Act
    const request = runRequestFor({ action: 'migrate', bundle: { bucket: 'b', key: 'k', sha256: 'a'.repeat(64) } }, context, { safetyMarginMs: 30_000 }, { now: () => 1_000 });
    // Assess
    expect(request).toEqual({ action: 'migrate', actor: 'lambda:svc-prod-migrate:req-1', deadline: 901_000, safetyMarginMs: 30_000 });
  });

  it('asks the engine for a rehearsal when the plan event says rehearse', () => {
    // Prepare
    const context = { functionName: 'svc-prod-migrate', awsRequestId: 'req-2', getRemainingTimeInMillis: () => 60_000 };
    // Act
    const request = runRequestFor({ action: 'plan', bundle: { bucket: 'b', key: 'k', sha256: 'a'.repeat(64) }, rehearse: true }, context, { safetyMarginMs: 30_000 }, { now: () => 0 });
    // Assess
    expect(request).toMatchObject({ action: 'plan', rehearse: true, deadline: 60_000 });
  });
});

describe('Function: outcomeOf', () => {
  it('summarises a result with counts', () => {
    // Act
    const outcome = outcomeOf({ ok: true, action: 'migrate', bundleId: 'x', status: 'incomplete', applied: [{ id: 'a/0001_x', durationMs: 3, method: 'executed' }], pending: ['a/0002_y'], durationMs: 9, target: 'u@h:5432/d' });
    // Assess
    expect(outcome).toEqual({ action: 'migrate', status: 'incomplete', applied: 1, pending: 1, durationMs: 9, target: 'u@h:5432/d' });
  });
});

describe('Class: PowertoolsEventLogger', () => {
  it('writes one JSON line per event, the event name as message, keeping data under reserved names', () => {
    // Prepare
    const output = captureOutput();
    const powertools = new Logger({ serviceName: 'stagegate' });
    const context = lambdaContext({ requestId: 'req-42' });
    powertools.addContext(context);
    powertools.appendKeys({ bundle: 'abc', stage: 'prod' });
    const logger = new PowertoolsEventLogger(powertools);
    // Act
    try {
      logger.info('migration.applied', { id: 'app/0001_init', durationMs: 12 });
      logger.error('run.failed', { code: 'MIGRATION_FAILED', message: 'it broke', level: 3 });
    } finally {
      output.restore();
    }
    // Assess
    const [applied, failedRun] = output.records();
    expect(output.records()).toHaveLength(2);
    expect(applied).toMatchObject({ level: 'INFO', message: 'migration.applied', service: 'stagegate', function_request_id: 'req-42', bundle: 'abc', stage: 'prod', id: 'app/0001_init', durationMs: 12 });
    expect(failedRun).toMatchObject({ level: 'ERROR', message: 'run.failed', code: 'MIGRATION_FAILED', data_message: 'it broke', data_level: 3 });
  });
});
