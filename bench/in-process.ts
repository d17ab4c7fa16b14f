/**
 * W4 and the artifact: the engine in-process (load + verify + plan), the
 * peak memory of the packaged function applying a whole bundle, and the
 * function's size and module initialisation.
 */
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { publishBundle } from '../lib/adapters/s3/publish-bundle';
import { S3RVER_CREDENTIALS, startS3 } from '../lib/local/s3rver';
import { handlerInitMs, packageMigrateFunction } from './artifact';
import { ROOT } from './contenders';
import type { MigrationSet } from './migration-set';
import { baseEnv, timeProcess } from './run-process';
import type { Samples } from './samples';
import type { WorkloadContext } from './workloads';

export interface InProcessResults {
  /** Peak RSS of the whole migrate run, in MB, and what it did: with Node's defaults, and with V8's heap held small. */
  memory: { maxRssMb: number; applied: number; ms: number };
  capped: { maxRssMb: number; applied: number; ms: number; flags: string };
  artifact: { zipBytes: number; unpackedBytes: number };
}

/**
 * V8 grows its heap lazily when it has room, so peak RSS with defaults shows
 * its appetite, not what the run needs. Held to this old space, the run
 * shows whether it fits a 128 MB function.
 */
const CAPPED_FLAGS = '--max-old-space-size=64';

/**
 * Load + verify + plan in fresh processes; `fresh` plans every migration,
 * `applied` finds them all applied, `floor` does only what any loader of
 * the bundle format must (hash, inflate, parse, hash each SQL), `floor-v1`
 * the same for format version 1.
 */
export async function planInProcess(samples: Samples, set: MigrationSet, reps: number, log: (line: string) => void): Promise<void> {
  const bundle = await set.bundle(set.size);
  const child = join(ROOT, 'dist/bench/inprocess-plan.cjs');
  for (let rep = 0; rep < reps; rep += 1) {
    for (const mode of ['fresh', 'applied', 'floor', 'floor-v1']) {
      const { stdout } = await timeProcess({ file: process.execPath, args: [child, bundle, mode, String(set.size)] });
      const { totalMs, warmMs } = JSON.parse(stdout) as { totalMs: number; warmMs: number };
      samples.add(`W4 load+verify+plan (${mode})`, set.size, 'stagegate', totalMs);
      samples.add(`W4 load+verify+plan (${mode}, warm)`, set.size, 'stagegate', warmMs);
      log(`  W4 N=${set.size} ${mode}: first call ${totalMs.toFixed(1)} ms, then ${warmMs.toFixed(1)} ms`);
    }
  }
}

/** Packages the function, times its module initialisation, then runs it on a whole bundle for its peak memory. */
export async function functionInProcess(ctx: WorkloadContext, set: MigrationSet, reps: number): Promise<InProcessResults> {
  const artifact = await packageMigrateFunction();
  try {
    for (let rep = 0; rep < reps; rep += 1) {
      const ms = await handlerInitMs(artifact.handlerFile);
      ctx.samples.add('function module init', 0, 'stagegate', ms);
      ctx.log(`  function module init: ${ms.toFixed(1)} ms`);
    }
    const memory = await migrateWithFunction(ctx, set, artifact.handlerFile, []);
    const capped = { ...(await migrateWithFunction(ctx, set, artifact.handlerFile, [CAPPED_FLAGS])), flags: CAPPED_FLAGS };
    return { memory, capped, artifact: { zipBytes: artifact.zipBytes, unpackedBytes: artifact.unpackedBytes } };
  } finally {
    await artifact.remove();
  }
}

async function migrateWithFunction(ctx: WorkloadContext, set: MigrationSet, handlerFile: string, nodeFlags: string[]): Promise<InProcessResults['memory']> {
  const s3 = await startS3();
  const name = `bench_${process.pid}_function`;
  const resultFile = join(tmpdir(), `stagegate-bench-${process.pid}-function.json`);
  try {
    await s3.createBucket('stagegate-bench');
    const path = await set.bundle(set.size);
    const bytes = await readFile(path);
    const ref = await publishBundle(s3.client, { bucket: 'stagegate-bench', prefix: 'stagegate', bytes, bundleId: basename(path, '.json.gz') });
    await ctx.server.createDatabase(name);
    const env = {
      ...baseEnv(),
      DATABASE_URL: ctx.server.url(name),
      STAGEGATE_DB_TLS: 'disable',
      STAGEGATE_S3_ENDPOINT: s3.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    };
    const event = JSON.stringify({ action: 'migrate', bundle: { bucket: ref.bucket, key: ref.key, sha256: ref.sha256 } });
    await timeProcess({ file: process.execPath, args: [...nodeFlags, join(ROOT, 'dist/bench/inprocess-run.cjs'), handlerFile, event, resultFile], env });
    const result = JSON.parse(await readFile(resultFile, 'utf8')) as { status: string; applied: number; ms: number; maxRssMb: number };
    if (result.status !== 'applied' || result.applied !== set.size) throw new Error(`the function reported ${result.status} with ${result.applied} applied`);
    ctx.log(`  function migrate N=${set.size} ${nodeFlags.join(' ')}: ${result.ms.toFixed(0)} ms, peak RSS ${result.maxRssMb.toFixed(1)} MB`);
    return { maxRssMb: result.maxRssMb, applied: result.applied, ms: result.ms };
  } finally {
    await rm(resultFile, { force: true });
    await ctx.server.dropDatabase(name);
    await s3.stop();
  }
}
