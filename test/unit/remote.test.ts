import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateFunctionName } from '../../lib/remote/function-name';
import { parseRemoteConfig } from '../../lib/remote/remote-config';
import { ConfigInvalidError, UsageError } from '../../lib/core/errors';

describe('Function: parseRemoteConfig', () => {
  it('reads flags first, then the environment, with a default prefix', () => {
    // Act
    const config = parseRemoteConfig({ region: 'eu-west-1' }, { STAGEGATE_BUCKET: 'my-deploys', STAGEGATE_LAMBDA_ENDPOINT: 'http://127.0.0.1:3002' });
    // Assess
    expect(config).toEqual({ bucket: 'my-deploys', prefix: 'stagegate', region: 'eu-west-1', s3Endpoint: null, lambdaEndpoint: 'http://127.0.0.1:3002' });
  });

  it('reports a missing bucket, a bad region and a bad endpoint together', () => {
    // Act
    let error: unknown;
    try {
      parseRemoteConfig({ region: 'mars' }, { STAGEGATE_S3_ENDPOINT: 'ftp://x' });
    } catch (caught) {
      error = caught;
    }
    // Assess
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect((error as ConfigInvalidError).problems.map((p) => p.key)).toEqual(['bucket', 'region', 'STAGEGATE_S3_ENDPOINT']);
  });
});

describe('Function: migrateFunctionName', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-sls-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('follows the Serverless naming convention with the service from serverless.yml', async () => {
    // Prepare
    writeFileSync(join(dir, 'serverless.yml'), 'service: orders-api\nprovider:\n  name: aws\n');
    // Act
    const name = await migrateFunctionName({ cwd: dir, stage: 'staging' });
    // Assess
    expect(name).toBe('orders-api-staging-migrate');
  });

  it('prefers --function, and refuses a service name it cannot resolve', async () => {
    // Prepare
    writeFileSync(join(dir, 'serverless.yml'), 'service: ${env:SERVICE}\n');
    // Act
    const explicit = await migrateFunctionName({ cwd: dir, stage: 'prod', explicit: 'custom-fn' });
    const refused = migrateFunctionName({ cwd: dir, stage: 'prod' });
    // Assess
    expect(explicit).toBe('custom-fn');
    await expect(refused).rejects.toBeInstanceOf(UsageError);
    await expect(refused).rejects.toMatchObject({ remedy: expect.stringContaining('--function') });
  });
});
