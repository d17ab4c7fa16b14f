/**
 * Cancelling what still runs at the deadline. `statement_timeout` limits one
 * statement, not a migration: eight statements of 0.4 s each fit a 2 s cap
 * and together outlive the invocation, which Lambda then ends without an
 * answer. So under a deadline the engine keeps ONE timer for the run; when it
 * fires while a step is in flight, the session is asked to cancel what its
 * connection runs (PostgreSQL's cancel request), and the step fails there:
 * a transactional one rolls back.
 *
 * A cancel request reaches the server on a connection of its own, a little
 * later than it was sent, and cancels whatever the session runs *then*. So
 * the engine sends nothing more on the session (the next step, a record, the
 * run's own ledger writes) until the cancel has been delivered: arriving
 * while the session waits for its next query, it is ignored by the server,
 * and nothing sent afterwards can be hit by it. Only steps sent before the
 * cancel (the migration in flight, and one sent ahead behind it, both past
 * the deadline) can be.
 */
import type { Clock, LedgerSession, StopSignal } from './ports';

/** How long after a cancel that cut nothing the next one is sent, while a step still runs. */
export const RETRY_MS = 100;

/** A step as the watch sees it: set once a cancel was sent while it was in flight. */
export interface Watched {
  cancelled?: boolean;
}

/**
 * The run's deadline timer; build one only under a deadline or a stop
 * signal. A stop (the CLI's Ctrl-C) does what the deadline does, at once:
 * no step may start, and the one in flight is cancelled.
 *
 * @example
 * const watch = new DeadlineWatch(session, stopAt, clock, stop);
 * const outcome = await watch.track(sent, settle(session.apply(request)));
 * await watch.close();
 */
export class DeadlineWatch {
  private readonly timer: ReturnType<typeof setTimeout> | null;
  private readonly onStop = (): void => {
    this.stopped = true;
    this.fire();
  };
  private stopped = false;
  private readonly inFlight = new Set<Watched>();
  /** Every cancel sent so far, delivered (it never rejects). */
  private delivered: Promise<void> = Promise.resolve();
  private fired = false;
  private closed = false;
  /** The next cancel, while steps are still in flight after one was delivered. */
  private retry: ReturnType<typeof setTimeout> | null = null;
  /** Cancels asked for and not yet delivered. */
  private queued = 0;

  constructor(
    private readonly session: Pick<LedgerSession, 'cancel'>,
    stopAt: number | null,
    clock: Clock,
    private readonly stop?: StopSignal,
  ) {
    this.timer = stopAt === null ? null : setTimeout(() => this.fire(), Math.max(0, stopAt - clock.now()));
    // The run's own work keeps the process alive; the timer alone must not.
    this.timer?.unref?.();
    if (stop?.aborted) this.onStop();
    else stop?.addEventListener('abort', this.onStop, { once: true });
  }

  /** True once the deadline passed: no step may start. */
  get expired(): boolean {
    return this.fired;
  }

  /** True once the stop signal came (rather than the deadline): the run ends as interrupted. */
  get interrupted(): boolean {
    return this.stopped;
  }

  /**
   * Counts `step` in flight until `outcome` settles, and returns the outcome.
   * A step that starts after the deadline is cancelled at once.
   */
  track<T>(step: Watched, outcome: Promise<T>): Promise<T> {
    this.inFlight.add(step);
    if (this.fired) this.cancel();
    return outcome.finally(() => this.inFlight.delete(step));
  }

  /** After the deadline, cancels again while steps are still in flight (one sent ahead may have started after the first cancel). */
  again(): void {
    if (this.fired && this.inFlight.size > 0) this.cancel();
  }

  /** Resolves once every cancel sent has reached the server: only then may anything more be sent on the session. */
  quiet(): Promise<void> {
    return this.delivered;
  }

  /** Stops the timer and waits for the cancels sent; call once, when the steps are over, on every path. */
  close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.stop?.removeEventListener('abort', this.onStop);
    if (this.retry !== null) clearTimeout(this.retry);
    return this.delivered;
  }

  private fire(): void {
    this.fired = true;
    if (this.inFlight.size > 0) this.cancel();
  }

  private cancel(): void {
    for (const step of this.inFlight) step.cancelled = true;
    this.queued += 1;
    // One after the other: a cancel is never sent before the previous one was delivered.
    this.delivered = this.delivered
      .then(() => this.session.cancel())
      .catch(() => undefined)
      .then(() => {
        this.queued -= 1;
        this.cancelAgainLater();
      });
  }

  /**
   * A cancel that reached the server between two statements (or while the
   * session was writing the ledger, when it is held) cut nothing: while a
   * step is still in flight, another one follows after {@link RETRY_MS}.
   */
  private cancelAgainLater(): void {
    if (this.closed || this.retry !== null || this.queued > 0 || this.inFlight.size === 0) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (!this.closed && this.inFlight.size > 0) this.cancel();
    }, RETRY_MS);
    this.retry.unref?.();
  }
}
