import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Signer } from '@aws-sdk/rds-signer';
import { boundedRequestHandler } from '../aws-request-handler';
import type { TokenSigner } from './connections';
import type { IamDatabase } from './environment-database';
import type { SecretReader } from './secret-credentials';
import type { CredentialClients } from './with-lambda-database';

/**
 * The AWS clients database credentials come from (Secrets Manager and the
 * RDS IAM signer), created on first use and kept for the life of the
 * process, so warm invocations reuse their connections and cached role
 * credentials. Each is keyed by its settings, so a changed setting gets a
 * new client rather than a stale one. A function that needs no other AWS
 * client uses this class alone and its bundle leaves the S3 client out.
 *
 * @example
 * const clients = new AwsCredentialClients(); // at module scope
 * const secrets = clients.secrets('eu-west-1');
 */
export class AwsCredentialClients implements CredentialClients {
  private readonly secretClients = new Map<string, SecretsManagerClient>();
  private readonly signers = new Map<string, Signer>();

  /** `idleTimeoutMs`: how long a Secrets Manager reply may stay silent (default 30 s; tests shorten it). */
  constructor(private readonly options: { idleTimeoutMs?: number } = {}) {}

  /** The Secrets Manager client of a region; a stalled reply fails (CREDENTIALS_UNAVAILABLE) rather than hanging. */
  secrets(region: string): SecretReader {
    return remember(this.secretClients, region, () => new SecretsManagerClient({ region, requestHandler: boundedRequestHandler(this.options.idleTimeoutMs) }));
  }

  /** The RDS IAM token signer of a database user; it signs a new token on every call. */
  signer(settings: IamDatabase): TokenSigner {
    const key = `${settings.region}|${settings.host}|${settings.port}|${settings.user}`;
    return remember(this.signers, key, () => new Signer({ hostname: settings.host, port: settings.port, username: settings.user, region: settings.region }));
  }
}

/**
 * The cached value of `key`, created by `create` the first time.
 *
 * @example
 * const client = remember(clients, region, () => new SecretsManagerClient({ region }));
 */
export function remember<T>(cache: Map<string, T>, key: string, create: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    value = create();
    cache.set(key, value);
  }
  return value;
}
