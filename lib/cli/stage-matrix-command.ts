import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../core/errors';
import { buildStageMatrix } from '../core/stage-matrix';
import { createS3Client } from '../adapters/s3/s3-client';
import { readStageRecord } from '../adapters/s3/stage-records';
import { displayPath } from '../adapters/fs/fs-errors';
import { readServiceStages } from '../remote/service-stages';
import type { ParsedArgs } from './args';
import { bundleBytes } from './bundle-bytes';
import type { CommandContext, CommandOutput } from './commands';
import { matrixHtml } from './matrix-html';
import { clientOptions, remoteConfig } from './remote-commands';
import { renderStageMatrix } from './render-matrix';

/**
 * `stagegate status --all-stages`: the local bundle against the record of
 * every stage in serverless.yml's `custom.stagegate.stages`, read from S3.
 * The bucket is `--bucket`, `STAGEGATE_BUCKET`, or serverless.yml's; the
 * prefix likewise (default `stagegate`). `--html FILE` also writes the
 * matrix as a page. A status is not a failure: it succeeds whatever the
 * stages hold; an unreadable record fails it.
 *
 * @example
 * const output = await stageMatrixCommand(parseCommandLine(['status', '--all-stages', '--json']), ctx);
 */
export async function stageMatrixCommand(args: ParsedArgs, ctx: CommandContext): Promise<CommandOutput> {
  const service = await readServiceStages(ctx.cwd);
  const config = remoteConfig(args, ctx, service);
  const bundle = await bundleBytes(args, ctx.cwd);
  const s3 = createS3Client(clientOptions(config, config.s3Endpoint));
  const target = `s3://${config.bucket}/${config.prefix}/stages`;
  ctx.logger.info('command.started', { target });
  try {
    const records = await Promise.all(service.stages.map((stage) => readStageRecord(s3, config.bucket, config.prefix, stage)));
    const matrix = buildStageMatrix(bundle.catalog, service.stages, Object.fromEntries(service.stages.map((stage, i) => [stage, records[i] ?? null])));
    const html = typeof args.options.html === 'string' ? resolve(ctx.cwd, args.options.html) : null;
    if (html !== null) await writePage(html, matrixHtml(matrix, bundle.id, new Date().toISOString()));
    return {
      json: { ok: true, action: 'status', allStages: true, bundleId: bundle.id, bucket: config.bucket, prefix: config.prefix, ...matrix, ...(html ? { html } : {}) },
      target,
      render: (style) => renderStageMatrix(matrix, bundle.id, style) + (html ? `Written to ${displayPath(html)}\n` : ''),
    };
  } finally {
    s3.destroy();
  }
}

async function writePage(path: string, page: string): Promise<void> {
  try {
    await writeFile(path, page);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'an error';
    throw new UsageError(`stagegate status --html cannot write ${displayPath(path)}: the file system reported ${code}.`, 'Choose an --html path in a folder you may write to.');
  }
}
