import type { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import type { MigrateResponse } from '../../lib/adapters/lambda/invocation';
import { parseInvocationErrorMessage } from '../../lib/core/error-text';
import { publishBundle } from '../../lib/adapters/s3/publish-bundle';
import type { BundleRef } from '../../lib/adapters/s3/bundle-ref';
import { encodeBundle } from '../../lib/core/bundle-format';
import { buildCatalog } from '../../lib/core/catalog';
import { lambdaContext } from './lambda-context';

/** What a caller of the function sees: the result, or Lambda's `errorType` and `errorMessage` (read back into parts). */
export type Invocation =
  | { ok: true; result: MigrateResponse }
  | { ok: false; errorType: string; errorMessage: string; error: ReturnType<typeof parseInvocationErrorMessage> };

/** The handler under test; a `drift` event answers with another shape, read as the test expects. */
type Handler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Calls a handler as the Lambda Node.js runtime does and reports what the
 * runtime would: a thrown error becomes `errorType` (its `name`) and
 * `errorMessage` (its `message`). The result goes through JSON, as on the wire.
 *
 * @example
 * const outcome = await invoke(handler, { action: 'status', bundle: ref });
 */
export async function invoke(handler: Handler, event: unknown, context: Context = lambdaContext()): Promise<Invocation> {
  try {
    const result = await handler(event, context);
    return { ok: true, result: JSON.parse(JSON.stringify(result)) as MigrateResponse };
  } catch (error) {
    const { name, message } = error as Error;
    return { ok: false, errorType: name, errorMessage: message, error: parseInvocationErrorMessage(message) };
  }
}

/** The result of an invocation that must have succeeded; fails the test with the error otherwise. */
export function succeeded(outcome: Invocation): MigrateResponse {
  if (!outcome.ok) throw new Error(`expected success, got ${outcome.errorType}: ${outcome.errorMessage}`);
  return outcome.result;
}

/** The error of an invocation that must have failed. */
export function failed(outcome: Invocation): Extract<Invocation, { ok: false }> {
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome.result)}`);
  return outcome;
}

/** Lines written to stdout and stderr while capturing (Powertools writes one JSON object per line). */
export interface CapturedOutput {
  /** Everything written, as text. */
  text(): string;
  /** The lines that are JSON objects. */
  records(): Record<string, unknown>[];
  restore(): void;
}

/**
 * Captures what the process writes to stdout and stderr (and keeps it off
 * the test output) until `restore()`.
 *
 * @example
 * const output = captureOutput();
 * afterEach(() => output.restore());
 */
export function captureOutput(): CapturedOutput {
  let text = '';
  const collect = (chunk: unknown): boolean => {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    return true;
  };
  const spies = [jest.spyOn(process.stdout, 'write').mockImplementation(collect), jest.spyOn(process.stderr, 'write').mockImplementation(collect)];
  return {
    text: () => text,
    records: () =>
      text
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}

/**
 * Sets environment variables (undefined deletes one) and returns a function
 * that puts the whole environment back as it was.
 *
 * @example
 * const restore = setEnv({ DATABASE_URL: db.url });
 * afterEach(restore);
 */
export function setEnv(vars: Record<string, string | undefined>): () => void {
  const saved = { ...process.env };
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return () => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  };
}

/**
 * Builds a bundle from migration files (paths relative to `migrations/`) and
 * publishes it. Each call adds a unique comment to the first file, so its
 * sha256 is new and no warm cache from another test can answer for it.
 *
 * @example
 * const { ref } = await publishMigrations(s3.client, 'deploys', { 'app/0001_init.sql': 'create table t (id int);' });
 */
export async function publishMigrations(s3: S3Client, bucket: string, files: Record<string, string>): Promise<{ ref: BundleRef; bytes: Buffer }> {
  const token = randomBytes(8).toString('hex');
  const sources = Object.entries(files).map(([path, content], i) => ({ path, content: i === 0 ? `${content}\n-- test ${token}\n` : content }));
  const { bytes, id } = encodeBundle(buildCatalog(sources));
  const ref = await publishBundle(s3, { bucket, prefix: 'stagegate', bytes, bundleId: id });
  return { ref: { bucket: ref.bucket, key: ref.key, sha256: ref.sha256 }, bytes };
}

/**
 * The environment of the migrate function talking to S3 at `endpoint`,
 * plus `vars`. Connection settings a developer's shell may carry (IAM,
 * secrets, TLS, Powertools dev mode) are removed.
 *
 * @example
 * const restore = setEnv(functionEnv(s3.endpoint, S3_CREDENTIALS, { DATABASE_URL: db.url }));
 */
export function functionEnv(
  endpoint: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
  vars: Record<string, string | undefined>,
): Record<string, string | undefined> {
  return {
    ...vars,
    STAGEGATE_S3_ENDPOINT: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    STAGEGATE_DB_IAM: undefined,
    STAGEGATE_DB_SECRET_ARN: undefined,
    STAGEGATE_DB_TLS: undefined,
    POWERTOOLS_DEV: undefined,
  };
}
