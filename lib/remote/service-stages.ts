import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { UsageError } from '../core/errors';
import { parseStageArray } from '../gate/settings';

/** What `status --all-stages` takes from serverless.yml's `custom.stagegate`. */
export interface ServiceStages {
  /** `stages`, in order. */
  stages: string[];
  /** `bucket` when it is a literal or a `${param:NAME}` with one value for every stage; null otherwise. */
  bucket: string | null;
  /** `prefix` when it is a literal; null otherwise. */
  prefix: string | null;
}

/**
 * Reads the stage order, and where it can, the bucket and prefix, from
 * `serverless.yml` in `cwd`. A bucket given as `${param:NAME}` is resolved
 * when the stages' params (or `params.default`) all give it the same literal
 * value: one bucket serves every stage. Throws `UsageError` when there is no
 * serverless.yml or it declares no `custom.stagegate.stages`.
 *
 * @example
 * const { stages, bucket } = await readServiceStages(process.cwd());
 */
export async function readServiceStages(cwd: string): Promise<ServiceStages> {
  let document: unknown;
  try {
    document = parse(await readFile(join(cwd, 'serverless.yml'), 'utf8'));
  } catch {
    throw new UsageError(`No readable serverless.yml in ${cwd} to take the stage order from.`, 'Run `stagegate status --all-stages` from the service folder (its serverless.yml declares custom.stagegate.stages).');
  }
  const root = (document ?? {}) as { custom?: { stagegate?: Record<string, unknown> }; params?: Record<string, Record<string, unknown> | undefined> };
  const settings = root.custom?.stagegate ?? {};
  const list = parseStageArray(settings.stages);
  if (!list.ok) {
    throw new UsageError('serverless.yml declares no valid custom.stagegate.stages, so there is no stage order to show.', 'Add `stages: [dev, staging, production]` (in deploy order) under custom.stagegate.');
  }
  return { stages: list.stages, bucket: resolveValue(settings.bucket, list.stages, root.params ?? {}), prefix: literal(settings.prefix) };
}

function literal(value: unknown): string | null {
  return typeof value === 'string' && !value.includes('${') ? value : null;
}

function resolveValue(value: unknown, stages: readonly string[], params: Record<string, Record<string, unknown> | undefined>): string | null {
  if (literal(value) !== null) return value as string;
  const name = typeof value === 'string' ? /^\$\{param:([A-Za-z0-9_]+)\}$/.exec(value)?.[1] : undefined;
  if (name === undefined) return null;
  const values = new Set(stages.map((stage) => params[stage]?.[name] ?? params.default?.[name]));
  const [only] = [...values];
  return values.size === 1 ? literal(only) : null;
}
