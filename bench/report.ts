/** The results table: medians, ratios to the baselines of the same run, and each target. */
import { Contender } from './contenders';
import type { InProcessResults } from './in-process';
import type { BenchOptions } from './options';
import type { Samples } from './samples';
import { formatMs, median } from './stats';

export interface TargetRow {
  workload: string;
  size: string;
  stagegateMs: number;
  baseline: string;
  baselineMs: number;
  ratio: number;
  target: string;
  /** Null for a reference row, which has no target of its own. */
  met: boolean | null;
}

const W3_BASELINE = `(${Contender.PSQL_LEDGER}) + (${Contender.FLOOR})`;

function ratioRow(workload: string, size: string, stagegateMs: number, baseline: string, baselineMs: number, limit: number, strict = false): TargetRow {
  const ratio = stagegateMs / baselineMs;
  return { workload, size, stagegateMs, baseline, baselineMs, ratio, target: `${strict ? '<' : '≤'} ${limit} ×`, met: strict ? ratio < limit : ratio <= limit };
}

function limitRow(workload: string, size: string, value: number, limit: number, unit: string): TargetRow {
  return { workload, size, stagegateMs: value, baseline: '', baselineMs: NaN, ratio: NaN, target: `≤ ${limit} ${unit}`, met: value <= limit };
}

/** Every target the issue sets, checked against this run's medians. */
export function targetRows(samples: Samples, options: BenchOptions, inProcess: InProcessResults | null): TargetRow[] {
  const rows = [...loadRows(samples, options), ...(inProcess ? functionRows(samples, options, inProcess) : [])];
  // A workload left out with --only has no samples: its rows are not shown rather than shown as NaN.
  return rows.filter((row) => !Number.isNaN(row.stagegateMs));
}

function loadRows(samples: Samples, options: BenchOptions): TargetRow[] {
  const m = (workload: string, size: number, contender: string): number => median(samples.get(workload, size, contender));
  const rows: TargetRow[] = [];
  for (const n of options.sizes) {
    const sg = m('W1', n, Contender.STAGEGATE);
    rows.push(ratioRow('W1 fresh apply', String(n), sg, Contender.PSQL_LEDGER, m('W1', n, Contender.PSQL_LEDGER), 1.15));
    rows.push(ratioRow('W1 fresh apply', String(n), sg, Contender.NODE_PG_MIGRATE, m('W1', n, Contender.NODE_PG_MIGRATE), 1, true));
  }
  const low = Math.min(...options.sizes);
  const budget = 0.15 * m('W1', low, Contender.PSQL_LEDGER);
  rows.push(referenceRow(`W1: Node's own start and exit (\`${Contender.NODE_START}\`), against the ${formatMs(budget)} ms the target allows above psql + ledger at ${low}`, low, m('W1', low, Contender.NODE_START)));
  for (const n of options.sizes) rows.push(nodeRunnerRow(n, m));
  for (const n of options.sizes) rows.push(ratioRow('W2 up to date', String(n), m('W2', n, Contender.STAGEGATE), Contender.FLOOR, m('W2', n, Contender.FLOOR), 1.5));
  const high = Math.max(...options.sizes);
  rows.push(ratioRow('W2 flat in N', `${high} vs ${low}`, m('W2', high, Contender.STAGEGATE), `stagegate W2 at ${low}`, m('W2', low, Contender.STAGEGATE), 1.2));
  const { pending, applied } = options.incremental;
  const w3Base = m('W3', pending, Contender.PSQL_LEDGER) + m('W3', pending, Contender.FLOOR);
  rows.push(ratioRow('W3 incremental', `${pending} on ${applied}`, m('W3', pending, Contender.STAGEGATE), W3_BASELINE, w3Base, 1.2));
  const size = options.inProcessSize;
  rows.push(limitRow('W4 load + verify + plan, all pending, first call', String(size), m('W4 load+verify+plan (fresh)', size, 'stagegate'), 50, 'ms'));
  rows.push(limitRow('W4 the same, compiled (median of the next 5 calls)', String(size), m('W4 load+verify+plan (fresh, warm)', size, 'stagegate'), 50, 'ms'));
  rows.push(limitRow('W4 load + plan, all applied, first call', String(size), m('W4 load+verify+plan (applied)', size, 'stagegate'), 50, 'ms'));
  rows.push(referenceRow('W4 floor of format 2: sha256 of the file + inflate + header JSON.parse + SQL text decode + sha256 of each SQL, no engine, first call', size, m('W4 load+verify+plan (floor)', size, 'stagegate')));
  rows.push(referenceRow('W4 floor of format 1 (the one before): inflate + JSON.parse + sha256 of each SQL, first call', size, m('W4 load+verify+plan (floor-v1)', size, 'stagegate')));
  return rows;
}

/**
 * psql + ledger with Node's start and connection in place of psql's: a runner
 * for Node that spent nothing beyond what psql spends on the migrations
 * (and pipelined nothing). Its ratio to psql + ledger shows how much of
 * W1's 1.15 a Node process leaves for any other work at this N.
 */
function nodeRunnerRow(n: number, m: (workload: string, size: number, contender: string) => number): TargetRow {
  const base = m('W1', n, Contender.PSQL_LEDGER);
  const ms = base - m('W1', n, Contender.PSQL_QUERY) + m('W1', n, Contender.FLOOR);
  const workload = `W1: psql + ledger with Node's start and connection in place of psql's (${Contender.PSQL_LEDGER} − ${Contender.PSQL_QUERY} + ${Contender.FLOOR}), for reference`;
  return { workload, size: String(n), stagegateMs: ms, baseline: Contender.PSQL_LEDGER, baselineMs: base, ratio: ms / base, target: '(reference)', met: null };
}

function referenceRow(workload: string, size: number, ms: number): TargetRow {
  return { workload, size: String(size), stagegateMs: ms, baseline: '', baselineMs: NaN, ratio: NaN, target: '(reference)', met: null };
}

function functionRows(samples: Samples, options: BenchOptions, inProcess: InProcessResults): TargetRow[] {
  const size = options.inProcessSize;
  const rows: TargetRow[] = [];
  rows.push(limitRow('W4 peak RSS, whole migrate run', String(size), inProcess.memory.maxRssMb, 128, 'MB'));
  rows.push(limitRow(`W4 peak RSS, same run with ${inProcess.capped.flags}`, String(size), inProcess.capped.maxRssMb, 128, 'MB'));
  rows.push(limitRow('function artifact, zipped', '', inProcess.artifact.zipBytes / 1e6, 1, 'MB'));
  rows.push(limitRow('function module init', '', median(samples.get('function module init', 0, 'stagegate')), 150, 'ms'));
  return rows;
}

function value(row: TargetRow): string {
  if (row.target.endsWith('MB')) return `${row.stagegateMs.toFixed(row.workload.includes('artifact') ? 3 : 1)} MB`;
  return `${formatMs(row.stagegateMs)} ms`;
}

/** The targets as a Markdown table, ready for the README. */
export function targetTable(rows: readonly TargetRow[]): string {
  const lines = ['| Workload | N | stagegate | Compared with | Ratio | Target | Met |', '| --- | --- | ---: | --- | ---: | --- | --- |'];
  for (const row of rows) {
    const baseline = row.baseline ? `${row.baseline}: ${formatMs(row.baselineMs)} ms` : '';
    const ratio = Number.isNaN(row.ratio) ? '' : row.ratio.toFixed(2);
    lines.push(`| ${row.workload} | ${row.size} | ${value(row)} | ${baseline} | ${ratio} | ${row.target} | ${row.met === null ? '' : row.met ? 'yes' : '**no**'} |`);
  }
  return lines.join('\n');
}

const COLUMNS = [Contender.STAGEGATE, Contender.PSQL, Contender.PSQL_LEDGER, Contender.NODE_PG_MIGRATE, Contender.FLOOR, Contender.PSQL_QUERY, Contender.NODE_START];

/** Every contender's median per workload and size, with the number of runs. */
export function medianTable(samples: Samples): string {
  const groups = new Map<string, Map<string, number[]>>();
  for (const { workload, size, contender, ms } of samples.toJSON()) {
    if (!['W1', 'W2', 'W3'].includes(workload)) continue;
    const key = `${workload}|${size}`;
    const group = groups.get(key) ?? new Map<string, number[]>();
    group.set(contender, ms);
    groups.set(key, group);
  }
  const lines = [`| Workload | N | ${COLUMNS.join(' | ')} |`, `| --- | --- |${COLUMNS.map(() => ' ---: |').join('')}`];
  for (const [key, group] of groups) {
    const [workload, size] = key.split('|');
    const cells = COLUMNS.map((c) => {
      const ms = group.get(c);
      return ms ? `${formatMs(median(ms))} (${ms.length})` : '';
    });
    lines.push(`| ${workload} | ${size} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
