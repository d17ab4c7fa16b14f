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
import type { Clock, LedgerSession } from './ports';

/** How long after a cancel that cut nothing the next one is sent, while a step still runs. */
export const RETRY_MS = 100;

/** A step as the watch sees it: set once a cancel was sent while it was in flight. */
export interface Watched {
  cancelled?: boolean;
}

/**
 * The run's deadline timer; build one only under a deadline.
 *
 * @example
 * const watch = new DeadlineWatch(session, stopAt, clock);
 * const outcome = await watch.track(sent, settle(session.apply(request)));
 * await watch.close();
 */
export class DeadlineWatch {
  private readonly timer: ReturnType<typeof setTimeout>;
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
    stopAt: number,
    clock: Clock,
  ) {
    this.timer = setTimeout(() => this.fire(), Math.max(0, stopAt - clock.now()));
    // The run's own work keeps the process alive; the timer alone must not.
    this.timer.unref?.();
  }

  /** True once the deadline passed: no step may start. */
  get expired(): boolean {
    return this.fired;
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
    clearTimeout(this.timer);
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
