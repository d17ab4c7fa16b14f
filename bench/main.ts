/**
 * `npm run bench`: stagegate against the floor (psql, a bare Node process)
 * and a peer (node-pg-migrate), on one embedded PostgreSQL, in one run.
 * Prints the medians, the ratios and the targets, and writes every raw
 * number to bench/results/<time>.json. `--quick` is the CI smoke run: it
 * fails only when the harness breaks, never on a ratio.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './contenders';
import { functionInProcess, planInProcess, type InProcessResults } from './in-process';
import { describeMachine } from './machine';
import { writeMigrationSet, type MigrationSet } from './migration-set';
import { parseBenchOptions } from './options';
import { medianTable, targetRows, targetTable } from './report';
import { Samples } from './samples';
import { SERVER_SETTINGS, startBenchServer } from './server';
import { freshAndUpToDate, incremental, type WorkloadContext } from './workloads';

const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2));
  const started = Date.now();
  const work = await mkdtemp(join(tmpdir(), 'stagegate-bench-'));
  const server = await startBenchServer();
  // Ctrl-C: the server is a child of ours and must not outlive the run.
  const interrupted = (): void => void server.stop().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const samples = new Samples();
    const ctx: WorkloadContext = { server, samples: new Samples(), log: () => {} };
    const sets = new Map<number, Promise<MigrationSet>>();
    const setOf = (n: number): Promise<MigrationSet> => {
      const set = sets.get(n) ?? writeMigrationSet(work, n);
      sets.set(n, set);
      return set;
    };
    log('warm-up (not counted)');
    await freshAndUpToDate(ctx, await setOf(Math.min(...options.sizes)), 1);
    ctx.samples = samples;
    ctx.log = log;
    if (options.only.has('w1')) {
      for (const n of options.sizes) await freshAndUpToDate(ctx, await setOf(n), n >= 10_000 ? options.bigReps : options.reps);
    }
    const { applied, pending } = options.incremental;
    if (options.only.has('w3')) await incremental(ctx, await setOf(applied + pending), applied, options.reps);
    let inProcess: InProcessResults | null = null;
    if (options.only.has('w4')) {
      log('W4 in-process');
      await planInProcess(samples, await setOf(options.inProcessSize), options.inProcessReps, log);
      inProcess = await functionInProcess(ctx, await setOf(options.inProcessSize), options.inProcessReps);
    }
    const machine = describeMachine();
    const pgServer = await server.describe();
    const rows = targetRows(samples, options, inProcess);
    const out = [
      `Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node}, ${machine.psql}`,
      `Server: ${pgServer.version.split(',')[0]}, fsync=${pgServer.fsync}, synchronous_commit=${pgServer.synchronousCommit}, shared_buffers=${pgServer.sharedBuffers}`,
      '',
      targetTable(rows),
      '',
      'Medians in ms (number of runs):',
      '',
      medianTable(samples),
      '',
    ].join('\n');
    process.stdout.write(`\n${out}\n`);
    const dir = join(ROOT, 'bench', 'results');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${new Date(started).toISOString().replace(/[:.]/g, '-')}${options.quick ? '-quick' : ''}.json`);
    const json = { startedAt: new Date(started).toISOString(), seconds: (Date.now() - started) / 1000, options: { ...options, only: [...options.only] }, machine, server: { ...pgServer, settings: SERVER_SETTINGS }, targets: rows, inProcess, samples: samples.toJSON() };
    await writeFile(file, `${JSON.stringify(json, null, 2)}\n`);
    log(`raw numbers: ${file} (${json.seconds.toFixed(0)} s)`);
  } finally {
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
