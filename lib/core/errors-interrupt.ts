import { ErrorCode, MigrationRunnerError } from './errors-base';

/** What was left of the migration in flight when the stop came. */
export const InterruptedLeft = {
  /** Cancelled; its transaction rolled back: nothing of it stays, and it is pending. */
  ROLLED_BACK: 'rolled-back',
  /** A `no-transaction` migration cancelled part-way: what ran before the cut stays, and it is `failed` (dirty). */
  DIRTY: 'dirty',
  /** A migration with its own `COMMIT`, cancelled after it: what that `COMMIT` committed stays; it has no ledger row and is pending. */
  PARTLY_COMMITTED: 'partly-committed',
} as const;
export type InterruptedLeft = (typeof InterruptedLeft)[keyof typeof InterruptedLeft];

/**
 * The name of the signal a stop came from: the reason the CLI aborts its
 * stop with (`SIGINT`, `SIGTERM`), else words that say what it was.
 *
 * @example
 * signalOf(stop); // 'SIGINT'
 */
export const signalOf = (stop: { readonly reason?: unknown } | undefined): string => (typeof stop?.reason === 'string' ? stop.reason : 'a stop request');

/** Everything an interrupted command can say about where it stopped. */
export interface InterruptFacts {
  /** What stopped it: `SIGINT`, `SIGTERM`. */
  signal: string;
  /** The command (`migrate`), or null when unknown. */
  command: string | null;
  /** The ids committed before the stop, in order (a local run's; under a stage, those of earlier invocations). */
  committed?: readonly string[];
  /** With `--to`: the ids this run reverted before the stop (they stay reverted). */
  reverted?: readonly string[];
  /** The migration in flight when the stop came; absent when it came between migrations or before any. */
  interrupted?: { id: string; file: string; left: InterruptedLeft; reverting?: boolean; remedy?: string };
  /** The first migration not started, when the stop came between migrations. */
  next?: string;
  /** `plan --rehearse`: the rehearsal's transaction, rolled back in any case. */
  rehearsal?: boolean;
  /** Under `--stage`: the stage and its function, and whether an invocation was on its way (it goes on there). */
  stage?: { name: string; functionName: string; invoked: boolean };
}

const list = (ids: readonly string[] | undefined): string => (ids && ids.length > 0 ? ids.join(', ') : 'none');

/**
 * The command was stopped by a signal (Ctrl-C, SIGTERM). A local run stops
 * at a safe point: no migration is started after the signal, the one in
 * flight is cancelled and rolls back (a `no-transaction` one is left dirty,
 * as any failure leaves it), the ledger lock is released. Under `--stage`
 * the CLI only stops waiting: the function's run goes on.
 *
 * @example
 * throw new InterruptedError({ signal: 'SIGINT', command: 'migrate', committed: ['app/0001_init'], next: 'app/0002_users' });
 */
export class InterruptedError extends MigrationRunnerError {
  constructor(facts: InterruptFacts) {
    super(ErrorCode.INTERRUPTED, interruptMessage(facts), {
      remedy: interruptRemedy(facts),
      details: {
        signal: facts.signal,
        interrupted: facts.interrupted ? { id: facts.interrupted.id, file: facts.interrupted.file, left: facts.interrupted.left } : null,
        ...(facts.next ? { next: facts.next } : {}),
        ...(facts.stage ? { stage: facts.stage.name, function: facts.stage.functionName, goesOn: facts.stage.invoked } : {}),
      },
    });
    this.name = 'InterruptedError';
  }
}

function interruptMessage(facts: InterruptFacts): string {
  const what = `stagegate${facts.command ? ` ${facts.command}` : ''}`;
  const reverts = facts.reverted && facts.reverted.length > 0 ? `; reverted before it: ${list(facts.reverted)}` : '';
  const committed = `committed before it: ${list(facts.committed)}${reverts}`;
  if (facts.stage) {
    const { name, functionName, invoked } = facts.stage;
    const earlier = facts.committed && facts.committed.length > 0 ? ` Committed by this command's earlier invocations: ${list(facts.committed)}.` : '';
    if (!invoked) return `${what} --stage ${name} stopped on ${facts.signal} before invoking ${functionName}: nothing more was started on stage ${name}.${earlier}`;
    const own = facts.command === 'migrate' ? ', which commits or rolls back each migration as if nobody had left' : '';
    return `${what} --stage ${name} stopped waiting for ${functionName} on ${facts.signal}; the run was NOT stopped: it goes on in the function on stage ${name}${own}.${earlier}`;
  }
  if (facts.rehearsal) return `${what} --rehearse was interrupted by ${facts.signal}: the rehearsal was cancelled and its transaction rolled back; nothing was changed.`;
  const { interrupted } = facts;
  if (interrupted?.left === InterruptedLeft.DIRTY) {
    return `${what} was interrupted by ${facts.signal}: ${interrupted.id} (${interrupted.file}) was cancelled part-way; it is a no-transaction migration, so what ran before the cut stays and it is left failed (dirty); ${committed}.`;
  }
  if (interrupted?.left === InterruptedLeft.PARTLY_COMMITTED && interrupted.reverting === true) {
    return `${what} was interrupted by ${facts.signal}: the reverse script ${interrupted.file} of ${interrupted.id} was cancelled after its own COMMIT: what it ran before that COMMIT stays, the rest rolled back, and ${interrupted.id} is still applied in the ledger (partly reverted); ${committed}.`;
  }
  if (interrupted?.left === InterruptedLeft.PARTLY_COMMITTED) {
    return `${what} was interrupted by ${facts.signal}: ${interrupted.id} (${interrupted.file}) was cancelled after its own COMMIT: what ran before that COMMIT stays, the rest rolled back, and it has no ledger row (pending); ${committed}.`;
  }
  if (interrupted) return `${what} was interrupted by ${facts.signal}: ${interrupted.id} (${interrupted.file}) was cancelled and rolled back; ${committed}.`;
  if (facts.next) return `${what} was interrupted by ${facts.signal} before ${facts.next} started; ${committed}.`;
  if ((facts.committed?.length ?? 0) + (facts.reverted?.length ?? 0) > 0) return `${what} was interrupted by ${facts.signal}; ${committed}.`;
  return `${what} was interrupted by ${facts.signal} before it changed anything; nothing was changed.`;
}

function interruptRemedy(facts: InterruptFacts): string {
  if (facts.stage) {
    const status = `\`stagegate status --stage ${facts.stage.name}\``;
    if (!facts.stage.invoked) return `Run the command again to go on; ${status} shows where the stage is.`;
    return `See its outcome with ${status} once the function has ended (its logs show it as it goes); a new run started before then waits for the ledger lock.`;
  }
  if (facts.interrupted?.left !== undefined && facts.interrupted.left !== InterruptedLeft.ROLLED_BACK && facts.interrupted.remedy) return facts.interrupted.remedy;
  if (facts.command !== 'migrate') return 'Run the command again.';
  return 'The migrations committed stay applied and the ledger lock is released; run `stagegate migrate` again to apply the rest (`stagegate status` shows where it stopped).';
}
