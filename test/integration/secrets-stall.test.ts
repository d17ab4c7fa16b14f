import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsCredentialClients } from '../../lib/adapters/lambda/credential-clients';
import { readSecretCredentials } from '../../lib/adapters/lambda/secret-credentials';
import { CredentialsUnavailableError } from '../../lib/core/errors';
import { setEnv } from '../support/lambda-invoke';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:stalled-AbCdEf';

describe('Integration: a Secrets Manager endpoint that stops answering', () => {
  let server: Server;
  let requests: number;
  let restoreEnv: () => void;
  beforeEach(async () => {
    // Takes each request and never answers it, as a route that drops the responses would.
    requests = 0;
    server = createServer(() => {
      requests += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    restoreEnv = setEnv({ AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${port}`, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_SESSION_TOKEN: undefined });
  });
  afterEach(async () => {
    restoreEnv();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('fails with CREDENTIALS_UNAVAILABLE naming the secret once the reply stays silent, instead of holding the function until Lambda stops it', async () => {
    // Prepare
    const clients = new AwsCredentialClients({ idleTimeoutMs: 200 });
    const settings = { kind: 'secret', secretArn: ARN, region: 'us-east-1', overrides: {}, tls: 'disable' } as const;
    const started = Date.now();
    // Act
    const error = await readSecretCredentials(clients.secrets('us-east-1'), settings).then(
      () => new Error('expected a failure'),
      (caught: unknown) => caught,
    );
    // Assess
    expect(error).toBeInstanceOf(CredentialsUnavailableError);
    expect((error as CredentialsUnavailableError).code).toBe('CREDENTIALS_UNAVAILABLE');
    expect((error as CredentialsUnavailableError).message).toContain(ARN);
    expect(requests).toBeGreaterThanOrEqual(1);
    expect(Date.now() - started).toBeLessThan(8_000);
  }, 15_000);
});
