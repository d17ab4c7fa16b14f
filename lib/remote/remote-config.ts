import { ConfigInvalidError, type ConfigProblem } from '../core/errors';

/** Where bundles go and how AWS is reached, for `publish` and `--stage`. */
export interface RemoteConfig {
  bucket: string;
  prefix: string;
  region: string | null;
  /** Local emulators only (s3rver, serverless-offline). */
  s3Endpoint: string | null;
  lambdaEndpoint: string | null;
}

export interface RawRemoteConfig {
  bucket?: string;
  prefix?: string;
  region?: string;
}

/** S3's bucket naming rule (the common subset). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^[A-Za-z0-9!_.*'()/-]{0,200}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/**
 * Reads the remote settings from flags, then the environment:
 * `STAGEGATE_BUCKET`, `STAGEGATE_PREFIX` (default `stagegate`), `AWS_REGION`,
 * then `fallback` (what serverless.yml gives, for the bucket and prefix),
 * and `STAGEGATE_S3_ENDPOINT` / `STAGEGATE_LAMBDA_ENDPOINT` for local
 * emulators. Every problem is reported at once.
 *
 * @example
 * parseRemoteConfig({ bucket: 'deploys' }, process.env);
 */
export function parseRemoteConfig(
  flags: RawRemoteConfig,
  env: Record<string, string | undefined>,
  fallback: { bucket?: string | null; prefix?: string | null } = {},
): RemoteConfig {
  const problems: ConfigProblem[] = [];
  const bucket = flags.bucket ?? env.STAGEGATE_BUCKET ?? fallback.bucket ?? '';
  const prefix = flags.prefix ?? env.STAGEGATE_PREFIX ?? fallback.prefix ?? 'stagegate';
  if (bucket === '') problems.push({ key: 'bucket', problem: 'is required: pass --bucket or set STAGEGATE_BUCKET (the bucket that holds bundles)' });
  else if (!BUCKET.test(bucket)) problems.push({ key: 'bucket', problem: `"${bucket.slice(0, 80)}" is not a valid S3 bucket name` });
  if (!PREFIX.test(prefix)) problems.push({ key: 'prefix', problem: 'may only hold letters, digits and !_.*\'()/- (at most 200)' });
  const region = regionOf(flags, env, problems);
  const s3Endpoint = endpoint('STAGEGATE_S3_ENDPOINT', env, problems);
  const lambdaEndpoint = endpoint('STAGEGATE_LAMBDA_ENDPOINT', env, problems);
  if (problems.length > 0) throw new ConfigInvalidError(problems);
  return { bucket, prefix, region, s3Endpoint, lambdaEndpoint };
}

/**
 * The settings of a command that only invokes the migrate function and
 * publishes nothing (`resolve --stage`): `--region` or `AWS_REGION`, and
 * `STAGEGATE_LAMBDA_ENDPOINT`; no bucket is needed.
 *
 * @example
 * parseInvokeConfig({ region: 'eu-west-1' }, process.env); // { region: 'eu-west-1', lambdaEndpoint: null }
 */
export function parseInvokeConfig(flags: Pick<RawRemoteConfig, 'region'>, env: Record<string, string | undefined>): Pick<RemoteConfig, 'region' | 'lambdaEndpoint'> {
  const problems: ConfigProblem[] = [];
  const region = regionOf(flags, env, problems);
  const lambdaEndpoint = endpoint('STAGEGATE_LAMBDA_ENDPOINT', env, problems);
  if (problems.length > 0) throw new ConfigInvalidError(problems);
  return { region, lambdaEndpoint };
}

function regionOf(flags: Pick<RawRemoteConfig, 'region'>, env: Record<string, string | undefined>, problems: ConfigProblem[]): string | null {
  const region = flags.region ?? env.AWS_REGION ?? null;
  if (region !== null && !REGION.test(region)) problems.push({ key: 'region', problem: `"${region.slice(0, 40)}" is not an AWS region (e.g. eu-west-1)` });
  return region;
}

function endpoint(name: string, env: Record<string, string | undefined>, problems: ConfigProblem[]): string | null {
  const value = env[name];
  if (value === undefined || value === '') return null;
  if (!/^https?:\/\/[^\s]+$/.test(value)) problems.push({ key: name, problem: 'must be an http(s) URL' });
  return value;
}
