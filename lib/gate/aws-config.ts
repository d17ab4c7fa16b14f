import type { LambdaClientConfig } from '@aws-sdk/client-lambda';

/** A credentials value any AWS SDK v3 client accepts: an identity or a provider of one. */
export type SdkCredentials = NonNullable<LambdaClientConfig['credentials']>;

/**
 * Region and credentials for AWS SDK v3 clients. No credentials means the
 * SDK's default chain, from the named `profile` when there is one (SSO,
 * role and process profiles resolve there as with the AWS CLI).
 */
export interface AwsClientConfig {
  region: string;
  credentials?: SdkCredentials;
  profile?: string;
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
  /** Serverless v3: `--aws-profile`, else `--profile`, else `provider.profile`; null when none. */
  getProfile?: () => string | null | undefined;
  getStage?: () => string;
  /** Serverless v3: the command's options (`--aws-profile`). */
  options?: { 'aws-profile'?: unknown };
}

/**
 * The region and credentials the framework resolved for this command, in
 * the form AWS SDK v3 clients take: `getAwsSdkV3Config()` where the
 * framework has it (v4, osls), otherwise v3's `getRegion()` with its v2
 * credentials object adapted into a v3 credentials provider. When v3
 * resolved no credentials (its SDK v2 does not read SSO profiles), the SDK's
 * default chain applies, from the profile v3 would have used (see
 * `frameworkProfile`), so an SSO-only `provider.profile` or `--aws-profile`
 * is honoured rather than replaced by the default profile.
 *
 * @example
 * const lambda = createLambdaClient(await awsClientConfig(serverless.getProvider('aws'), process.env));
 */
export async function awsClientConfig(provider: FrameworkAwsProvider, env: Record<string, string | undefined> = {}): Promise<AwsClientConfig> {
  if (typeof provider.getAwsSdkV3Config === 'function') {
    const config = await provider.getAwsSdkV3Config();
    return { region: config.region ?? provider.getRegion(), ...(config.credentials ? { credentials: config.credentials } : {}) };
  }
  const v2 = v2CredentialsOf(provider);
  if (v2) return { region: provider.getRegion(), credentials: fromV2Credentials(v2) };
  const profile = frameworkProfile(provider, env);
  return { region: provider.getRegion(), ...(profile ? { profile } : {}) };
}

/** v3's credentials, or undefined when it has none: also when it refused a profile its SDK v2 cannot read (an SSO profile). */
function v2CredentialsOf(provider: FrameworkAwsProvider): V2Credentials | undefined {
  try {
    return provider.getCredentials?.()?.credentials;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'UNRECOGNIZED_AWS_PROFILE') return undefined;
    throw error;
  }
}

/**
 * The profile Serverless v3 picks, most specific first: `--aws-profile`,
 * `AWS_<STAGE>_PROFILE`, `AWS_PROFILE`, `provider.profile` (or `--profile`),
 * `AWS_DEFAULT_PROFILE`. Undefined when none is named (the SDK's default).
 *
 * @example
 * frameworkProfile({ getRegion: () => 'eu-west-1', getProfile: () => 'deploy-sso' }, {}); // 'deploy-sso'
 */
export function frameworkProfile(provider: FrameworkAwsProvider, env: Record<string, string | undefined>): string | undefined {
  const stage = provider.getStage?.().toUpperCase();
  const candidates = [provider.options?.['aws-profile'], stage ? env[`AWS_${stage}_PROFILE`] : undefined, env.AWS_PROFILE, provider.getProfile?.(), env.AWS_DEFAULT_PROFILE];
  return candidates.find((name): name is string => typeof name === 'string' && name.length > 0);
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
