/**
 * W1 (fresh apply), W2 (up to date, the same command again) and W3 (10 on
 * top of 990). Every timed run gets a fresh database and a checkpoint first;
 * contenders take turns in a rotating order, so background noise falls on
 * all of them alike.
 */
import { Contender, floorQuery, nodePgMigrate, nodeStart, psqlQuery, psqlScript, stagegateMigrate } from './contenders';
import type { MigrationSet } from './migration-set';
import { timeProcess, type Command } from './run-process';
import type { Samples } from './samples';
import type { BenchServer } from './server';

export interface WorkloadContext {
  server: BenchServer;
  samples: Samples;
  log: (line: string) => void;
}

let databases = 0;

/** Runs `fn` on a fresh database, dropped afterwards. */
async function withDatabase<T>(ctx: WorkloadContext, fn: (url: string) => Promise<T>): Promise<T> {
  databases += 1;
  const name = `bench_${process.pid}_${databases}`;
  await ctx.server.createDatabase(name);
  try {
    return await fn(ctx.server.url(name));
  } finally {
    await ctx.server.dropDatabase(name);
  }
}

/** Times one command after a checkpoint; records and logs it. */
async function timed(ctx: WorkloadContext, label: [string, number, string], command: Command): Promise<string> {
  await ctx.server.checkpoint();
  const { ms, stdout } = await timeProcess(command);
  ctx.samples.add(...label, ms);
  ctx.log(`  ${label[0]} N=${label[1]} ${label[2]}: ${ms.toFixed(0)} ms`);
  return stdout;
}

/** Checks the `--json` result: a run that did something else than expected would make its time meaningless. */
function expectResult(stdout: string, status: string, applied: number): void {
  const result = JSON.parse(stdout) as { ok: boolean; status: string; applied: unknown[] };
  if (!result.ok || result.status !== status || result.applied.length !== applied) {
    throw new Error(`stagegate reported ${result.status} with ${result.applied.length} applied; expected ${status} with ${applied}`);
  }
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

const W1_CONTENDERS = [Contender.STAGEGATE, Contender.PSQL, Contender.PSQL_LEDGER, Contender.NODE_PG_MIGRATE] as const;

/** W1 on fresh databases and, on the same databases afterwards, W2: the same command again, and the floor. */
export async function freshAndUpToDate(ctx: WorkloadContext, set: MigrationSet, reps: number): Promise<void> {
  const n = set.size;
  const bundle = await set.bundle(n);
  const scripts = { plain: await set.psqlScript(0, n, false), ledger: await set.psqlScript(0, n, true) };
  for (let rep = 0; rep < reps; rep += 1) {
    ctx.log(`W1/W2 N=${n}, run ${rep + 1} of ${reps}`);
    for (const contender of rotate(W1_CONTENDERS, rep)) {
      await withDatabase(ctx, async (url) => {
        if (contender === Contender.STAGEGATE) {
          expectResult(await timed(ctx, ['W1', n, contender], stagegateMigrate(bundle, url)), 'applied', n);
          await timed(ctx, ['W1', n, Contender.NODE_START], nodeStart());
          await timed(ctx, ['W1', n, Contender.PSQL_QUERY], psqlQuery(url));
          await timed(ctx, ['W1', n, Contender.FLOOR], floorQuery(url));
          for (let again = 0; again < 2; again += 1) {
            await timed(ctx, ['W2', n, Contender.FLOOR], floorQuery(url));
            expectResult(await timed(ctx, ['W2', n, contender], stagegateMigrate(bundle, url)), 'up-to-date', 0);
          }
        } else if (contender === Contender.NODE_PG_MIGRATE) {
          await timed(ctx, ['W1', n, contender], nodePgMigrate(set.folder, url));
          await timed(ctx, ['W2', n, contender], nodePgMigrate(set.folder, url));
        } else {
          await timed(ctx, ['W1', n, contender], psqlScript(contender === Contender.PSQL ? scripts.plain : scripts.ledger, url));
        }
      });
    }
  }
}

const W3_CONTENDERS = [Contender.STAGEGATE, Contender.PSQL_LEDGER, Contender.NODE_PG_MIGRATE] as const;

/** W3: `applied` migrations applied (not timed), then the run that applies the rest. The label's size is the pending count. */
export async function incremental(ctx: WorkloadContext, set: MigrationSet, applied: number, reps: number): Promise<void> {
  const pending = set.size - applied;
  const before = await set.bundle(applied);
  const after = await set.bundle(set.size);
  const scripts = { before: await set.psqlScript(0, applied, true), after: await set.psqlScript(applied, set.size, true) };
  const prepare: Record<(typeof W3_CONTENDERS)[number], (url: string) => Command> = {
    [Contender.STAGEGATE]: (url) => stagegateMigrate(before, url),
    [Contender.PSQL_LEDGER]: (url) => psqlScript(scripts.before, url),
    [Contender.NODE_PG_MIGRATE]: (url) => nodePgMigrate(set.folder, url, applied),
  };
  const run: Record<(typeof W3_CONTENDERS)[number], (url: string) => Command> = {
    [Contender.STAGEGATE]: (url) => stagegateMigrate(after, url),
    [Contender.PSQL_LEDGER]: (url) => psqlScript(scripts.after, url),
    [Contender.NODE_PG_MIGRATE]: (url) => nodePgMigrate(set.folder, url),
  };
  for (let rep = 0; rep < reps; rep += 1) {
    ctx.log(`W3 ${pending} on top of ${applied}, run ${rep + 1} of ${reps}`);
    for (const contender of rotate(W3_CONTENDERS, rep)) {
      await withDatabase(ctx, async (url) => {
        await timeProcess(prepare[contender](url));
        const stdout = await timed(ctx, ['W3', pending, contender], run[contender](url));
        if (contender !== Contender.STAGEGATE) return;
        expectResult(stdout, 'applied', pending);
        await timed(ctx, ['W3', pending, Contender.FLOOR], floorQuery(url));
      });
    }
  }
}
