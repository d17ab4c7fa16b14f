import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Signer } from '@aws-sdk/rds-signer';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../s3/s3-client';
import type { TokenSigner } from './connections';
import type { IamDatabase } from './environment-database';
import type { SecretReader } from './secret-credentials';
import type { CredentialClients } from './with-lambda-database';

/**
 * The AWS clients of the migrate function, created on first use and kept
 * for the life of the process, so warm invocations reuse their connections
 * and cached role credentials. Each is keyed by its settings, so a changed
 * setting gets a new client rather than a stale one.
 *
 * @example
 * const clients = new AwsClients(); // at module scope
 * const s3 = clients.s3({ region: 'eu-west-1', endpoint: null });
 */
export class AwsClients implements CredentialClients {
  private readonly s3Clients = new Map<string, S3Client>();
  private readonly secretClients = new Map<string, SecretsManagerClient>();
  private readonly signers = new Map<string, Signer>();

  /** The S3 client for a region and, for local emulators only, an endpoint. */
  s3(options: { region: string | null; endpoint: string | null }): S3Client {
    return remember(this.s3Clients, `${options.region ?? ''}|${options.endpoint ?? ''}`, () =>
      createS3Client({ ...(options.region ? { region: options.region } : {}), ...(options.endpoint ? { endpoint: options.endpoint } : {}) }),
    );
  }

  /** The Secrets Manager client of a region. */
  secrets(region: string): SecretReader {
    return remember(this.secretClients, region, () => new SecretsManagerClient({ region }));
  }

  /** The RDS IAM token signer of a database user; it signs a new token on every call. */
  signer(settings: IamDatabase): TokenSigner {
    const key = `${settings.region}|${settings.host}|${settings.port}|${settings.user}`;
    return remember(this.signers, key, () => new Signer({ hostname: settings.host, port: settings.port, username: settings.user, region: settings.region }));
  }
}

function remember<T>(cache: Map<string, T>, key: string, create: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    value = create();
    cache.set(key, value);
  }
  return value;
}
