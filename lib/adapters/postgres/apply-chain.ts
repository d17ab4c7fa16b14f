/**
 * The order of a session's migrations when the engine sends one before the
 * previous one's answer came (see `LedgerSession.apply`): they run in the
 * order they were asked for, and one commits only if the one before it did.
 * Two pipelined transactions overlap on the wire, the later one guarded by
 * the earlier one's commit (see `pipelined-transaction.ts`); any other
 * migration waits until the one before it settled, and is not run at all
 * when that one failed.
 */
import { DatabaseOperationError } from '../../core/errors';

/** One migration asked for: what the next one needs to know about it. */
interface Link {
  id: string;
  pipelined: boolean;
  /** Resolves once `start` said its messages are written, or it settled; only a pipelined one's is waited for. */
  written: Promise<void>;
  /** Resolves to whether it committed, once it settled. */
  committed: Promise<boolean>;
  settled: boolean;
}

/** Errors that mean "not run: the migration before it did not commit". */
const notRun = new WeakSet<object>();

/**
 * The error of a migration that did not run because `before` did not commit
 * (the engine reports `before`'s own failure instead).
 *
 * @example
 * throw notRunError('app/0003_c', 'app/0002_b');
 */
export function notRunError(id: string, before: string, cause?: unknown): DatabaseOperationError {
  const error = new DatabaseOperationError(`applying ${id}`, null, `${before}, sent before it, did not commit, so ${id} was not run`, cause);
  notRun.add(error);
  return error;
}

/**
 * True for an error of {@link notRunError}: the migration sent nothing more
 * after it (its pipelined COMMIT already answered ROLLBACK).
 *
 * @example
 * if (isNotRun(error)) throw error; // no rollback, no facts: it never ran
 */
export function isNotRun(error: unknown): boolean {
  return typeof error === 'object' && error !== null && notRun.has(error);
}

/**
 * Orders the migrations of one session.
 *
 * @example
 * const chain = new ApplyChain();
 * await chain.add(id, true, (after, written) => { const done = send(after); written(); return done; });
 */
export class ApplyChain {
  private last: Link | null = null;

  /**
   * Runs `start` in its turn. `after` is the id of an unsettled pipelined
   * migration before it, whose commit `start`'s transaction must require
   * (null when nothing is pending before it); `start` calls `written` once its
   * messages are on the wire, and a later pipelined migration may then follow.
   * `behind`: the id of the migration before it, when this one was asked for
   * without that one's answer; if that one has failed already, this one is not run.
   */
  add<T>(id: string, pipelined: boolean, start: (after: string | null, written: () => void) => Promise<T>, behind?: string): Promise<T> {
    const previous = this.last;
    let markWritten: () => void = () => undefined;
    const link: Link = { id, pipelined, written: new Promise<void>((resolve) => (markWritten = resolve)), committed: Promise.resolve(false), settled: false };
    const run = (async (): Promise<T> => {
      try {
        return await start(await this.turn(id, pipelined, previous, behind), markWritten);
      } finally {
        // Before anyone awaiting it resumes: a migration asked for after this one settled stands on its own.
        link.settled = true;
        markWritten();
      }
    })();
    link.committed = run.then(
      () => true,
      () => false,
    );
    this.last = link;
    return run;
  }

  /** Waits for the migration's turn; returns the id its transaction must follow, if any. */
  private async turn(id: string, pipelined: boolean, previous: Link | null, behind: string | undefined): Promise<string | null> {
    if (previous === null) return null;
    // Called after the previous one settled: it is not pending, and this one stands on its own,
    // unless it was sent behind it without its answer (`behind`) and that one did not commit.
    if (previous.settled) {
      if (behind === previous.id && !(await previous.committed)) throw notRunError(id, previous.id);
      return null;
    }
    if (pipelined && previous.pipelined) {
      await previous.written;
      return previous.id;
    }
    if (!(await previous.committed)) throw notRunError(id, previous.id);
    return null;
  }
}
