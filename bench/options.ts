/** What one `npm run bench` measures: sizes, repetitions, and where results go. */
export interface BenchOptions {
  /** The CI smoke run: small sizes, few repetitions; checks the harness, not the numbers. */
  quick: boolean;
  /** N for W1 and W2. */
  sizes: number[];
  /** Timed runs per contender and size (after one warm-up run that is not counted). */
  reps: number;
  /** Timed runs for sizes of 10,000 and more, which take minutes each. */
  bigReps: number;
  /** W3: applied first, then pending on top. */
  incremental: { applied: number; pending: number };
  /** W4: migrations in the bundle the in-process measurements load. */
  inProcessSize: number;
  /** Runs of the in-process and cold-start measurements (each in a fresh process). */
  inProcessReps: number;
  /** Which workloads run: `w1` (W1 and W2), `w3`, `w4`; all unless `--only` narrows them. */
  only: ReadonlySet<Workload>;
}

/** The workload groups `--only` can pick. */
export const WORKLOADS = ['w1', 'w3', 'w4'] as const;
export type Workload = (typeof WORKLOADS)[number];


const FULL: BenchOptions = {
  quick: false,
  sizes: [100, 1_000, 10_000],
  reps: 5,
  bigReps: 3,
  incremental: { applied: 990, pending: 10 },
  inProcessSize: 10_000,
  inProcessReps: 7,
  only: new Set(WORKLOADS),
};

const QUICK: BenchOptions = {
  quick: true,
  sizes: [20, 100],
  reps: 2,
  bigReps: 2,
  incremental: { applied: 45, pending: 5 },
  inProcessSize: 1_000,
  inProcessReps: 3,
  only: new Set(WORKLOADS),
};

/**
 * `--quick` for the CI smoke run; `--reps N`, `--sizes 100,1000` and
 * `--only w1,w3` (a profiling session's narrower run) override.
 *
 * @example
 * parseBenchOptions(['--quick']).sizes; // [20, 100]
 */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const options = { ...(argv.includes('--quick') ? QUICK : FULL) };
  for (let i = 0; i < argv.length; i += 1) {
    const value = argv[i + 1];
    if (argv[i] === '--reps' && value) options.reps = options.bigReps = positive(value, '--reps');
    if (argv[i] === '--sizes' && value) options.sizes = value.split(',').map((n) => positive(n, '--sizes'));
    if (argv[i] === '--only' && value) options.only = new Set(value.split(',').map(workloadOf));
  }
  return options;
}

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes positive whole numbers, not "${text}"`);
  return n;
}

function workloadOf(text: string): Workload {
  const found = WORKLOADS.find((w) => w === text.toLowerCase());
  if (!found) throw new Error(`--only takes ${WORKLOADS.join(', ')}, not "${text}"`);
  return found;
}
