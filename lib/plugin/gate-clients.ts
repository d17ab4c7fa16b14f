import { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../adapters/s3/s3-client';
import { createLambdaClient } from '../remote/lambda-client';
import { LambdaAliasClient } from '../gate/alias-client';
import { awsClientConfig, type FrameworkAwsProvider } from '../gate/aws-config';

/** The AWS clients one hook uses; `destroy()` closes them all. */
export interface GateClients {
  s3: S3Client;
  /** The long-call client (one attempt, 16 min socket timeout, keep-alive), for invoking the migrate function only. */
  lambda: LambdaClient;
  aliases: LambdaAliasClient;
  destroy(): void;
}

/**
 * SDK v3 clients with the region and credentials the framework resolved for
 * this command (never the framework's own `provider.request`, whose retries
 * and timeouts do not fit a 15-minute invocation). `STAGEGATE_S3_ENDPOINT`
 * and `STAGEGATE_LAMBDA_ENDPOINT` point the bundle upload and the invoke at
 * local emulators, as for the CLI.
 *
 * @example
 * const clients = await gateClients(serverless.getProvider('aws'), process.env);
 * try { … } finally { clients.destroy(); }
 */
export async function gateClients(provider: FrameworkAwsProvider, env: Record<string, string | undefined>): Promise<GateClients> {
  const config = await awsClientConfig(provider, env);
  const s3 = createS3Client({ ...config, ...(env.STAGEGATE_S3_ENDPOINT ? { endpoint: env.STAGEGATE_S3_ENDPOINT } : {}) });
  const lambda = createLambdaClient({ ...config, ...(env.STAGEGATE_LAMBDA_ENDPOINT ? { endpoint: env.STAGEGATE_LAMBDA_ENDPOINT } : {}) });
  // Alias calls are short and safe to retry: the SDK's default client.
  const control = new LambdaClient(config);
  return { s3, lambda, aliases: new LambdaAliasClient(control), destroy: () => [s3, lambda, control].forEach((client) => client.destroy()) };
}
