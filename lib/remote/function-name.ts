import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { UsageError } from '../core/errors';

/**
 * The deployed name of a stage's migrate function, by the Serverless naming
 * convention `<service>-<stage>-migrate`, with the service name read from
 * `serverless.yml` in `cwd`. `--function` overrides it.
 *
 * @example
 * await migrateFunctionName({ cwd: '.', stage: 'staging' }); // 'stagegate-staging-migrate'
 */
export async function migrateFunctionName(options: { cwd: string; stage: string; explicit?: string }): Promise<string> {
  if (options.explicit) return options.explicit;
  let text: string;
  try {
    text = await readFile(join(options.cwd, 'serverless.yml'), 'utf8');
  } catch {
    throw new UsageError(`No serverless.yml in ${options.cwd} to name the migrate function of stage "${options.stage}".`, 'Run from the service folder, or name the function with --function.');
  }
  const service = serviceName(text);
  if (!service) {
    throw new UsageError('The service name in serverless.yml is missing or uses variables stagegate cannot resolve.', 'Name the function with --function <service>-<stage>-migrate.');
  }
  return `${service}-${options.stage}-migrate`;
}

function serviceName(text: string): string | null {
  let document: unknown;
  try {
    document = parse(text);
  } catch {
    return null;
  }
  const service = (document as { service?: unknown } | null)?.service;
  const name = typeof service === 'object' && service !== null ? (service as { name?: unknown }).name : service;
  return typeof name === 'string' && /^[A-Za-z0-9-]+$/.test(name) ? name : null;
}
