import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../s3/s3-client';
import { AwsCredentialClients, remember } from './credential-clients';

/**
 * The AWS clients of the migrate function: those of
 * {@link AwsCredentialClients} and S3, created on first use and kept for the
 * life of the process, so warm invocations reuse their connections and
 * cached role credentials. Each is keyed by its settings, so a changed
 * setting gets a new client rather than a stale one.
 *
 * @example
 * const clients = new AwsClients(); // at module scope
 * const s3 = clients.s3({ region: 'eu-west-1', endpoint: null });
 */
export class AwsClients extends AwsCredentialClients {
  private readonly s3Clients = new Map<string, S3Client>();

  /** The S3 client for a region and, for local emulators only, an endpoint. */
  s3(options: { region: string | null; endpoint: string | null }): S3Client {
    return remember(this.s3Clients, `${options.region ?? ''}|${options.endpoint ?? ''}`, () =>
      createS3Client({ ...(options.region ? { region: options.region } : {}), ...(options.endpoint ? { endpoint: options.endpoint } : {}) }),
    );
  }
}
