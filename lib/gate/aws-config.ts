import type { LambdaClientConfig } from '@aws-sdk/client-lambda';

/** A credentials value any AWS SDK v3 client accepts: an identity or a provider of one. */
export type SdkCredentials = NonNullable<LambdaClientConfig['credentials']>;

/** Region and credentials for AWS SDK v3 clients; no credentials means the SDK's default chain. */
export interface AwsClientConfig {
  region: string;
  credentials?: SdkCredentials;
}

/** AWS SDK v2's `AWS.Credentials`, as Serverless v3's `provider.getCredentials()` returns it. */
interface V2Credentials {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  expireTime?: Date | null;
  /** Loads or refreshes the credentials (profiles with role_arn, MFA, SSO). */
  getPromise?: () => Promise<void>;
}

/** The part of the framework's AWS provider the gate uses. */
export interface FrameworkAwsProvider {
  /** Serverless v4 and osls: ready SDK v3 settings. */
  getAwsSdkV3Config?: () => Promise<{ region?: string; credentials?: SdkCredentials }> | { region?: string; credentials?: SdkCredentials };
  getRegion(): string;
  /** Serverless v3: `{ credentials?: AWS.Credentials }` from --aws-profile, provider.profile, AWS_<STAGE>_* … */
  getCredentials?: () => { credentials?: V2Credentials } | undefined;
}

/**
 * The region and credentials the framework resolved for this command, in
 * the form AWS SDK v3 clients take: `getAwsSdkV3Config()` where the
 * framework has it (v4, osls), otherwise v3's `getRegion()` with its v2
 * credentials object adapted into a v3 credentials provider. When v3
 * resolved no credentials, the SDK's default chain applies (SSO, instance
 * roles…).
 *
 * @example
 * const lambda = createLambdaClient(await awsClientConfig(serverless.getProvider('aws')));
 */
export async function awsClientConfig(provider: FrameworkAwsProvider): Promise<AwsClientConfig> {
  if (typeof provider.getAwsSdkV3Config === 'function') {
    const config = await provider.getAwsSdkV3Config();
    return { region: config.region ?? provider.getRegion(), ...(config.credentials ? { credentials: config.credentials } : {}) };
  }
  const v2 = provider.getCredentials?.()?.credentials;
  return { region: provider.getRegion(), ...(v2 ? { credentials: fromV2Credentials(v2) } : {}) };
}

/**
 * An SDK v3 credentials provider over an SDK v2 credentials object: each
 * call lets v2 load or refresh them first, so assumed roles and MFA work as
 * in the framework's own calls.
 *
 * @example
 * new LambdaClient({ credentials: fromV2Credentials(provider.getCredentials().credentials) });
 */
export function fromV2Credentials(v2: V2Credentials): SdkCredentials {
  return async () => {
    if (typeof v2.getPromise === 'function') await v2.getPromise();
    if (!v2.accessKeyId || !v2.secretAccessKey) throw new Error('The AWS credentials the framework resolved hold no access key.');
    return {
      accessKeyId: v2.accessKeyId,
      secretAccessKey: v2.secretAccessKey,
      ...(v2.sessionToken ? { sessionToken: v2.sessionToken } : {}),
      ...(v2.expireTime ? { expiration: v2.expireTime } : {}),
    };
  };
}
