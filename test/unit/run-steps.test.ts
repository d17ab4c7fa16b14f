/**
 * The engine's step loop against a fake session that answers when the test
 * says: which step is sent before which one settled, what is thrown.
 */
import { MigrationFailedError } from '../../lib/core/errors';
import type { PlanStep } from '../../lib/core/plan';
import type { ApplyRequest, LedgerSession, Logger } from '../../lib/ports';
import { runSteps, type StepContext, type StepProgress } from '../../lib/run-steps';
import { migration } from '../support/builders';

/** An apply the test settles by hand. */
interface Pending {
  id: string;
  resolve: (value: { durationMs: number }) => void;
  reject: (error: unknown) => void;
}

/** A session whose applies wait for the test; it notes every call, and what was unsettled at each. */
class HeldSession {
  readonly calls: string[] = [];
  readonly pending: Pending[] = [];
  readonly requests: ApplyRequest[] = [];
  apply(request: ApplyRequest): Promise<{ durationMs: number }> {
    this.requests.push(request);
    this.calls.push(`apply ${request.migration.id} (unsettled: ${this.pending.map((p) => p.id).join(',') || 'none'})`);
    return new Promise((resolve, reject) => {
      const entry: Pending = { id: request.migration.id, resolve: (v) => (this.drop(entry), resolve(v)), reject: (e) => (this.drop(entry), reject(e)) };
      this.pending.push(entry);
    });
  }
  /** The cancels asked for, each delivered when the test calls its function. */
  readonly cancels: Array<() => void> = [];
  cancel(): Promise<void> {
    this.calls.push(`cancel (unsettled: ${this.pending.map((p) => p.id).join(',') || 'none'})`);
    return new Promise((resolve) => this.cancels.push(resolve));
  }
  checkpoint(): Promise<void> {
    this.calls.push(`checkpoint (unsettled: ${this.pending.map((p) => p.id).join(',') || 'none'})`);
    return Promise.resolve();
  }
  /** Settles the apply of `id`, then lets the engine go on until it waits again. */
  async settle(id: string, error?: unknown): Promise<void> {
    const entry = this.pending.find((p) => p.id === id);
    if (!entry) throw new Error(`no unsettled apply of ${id}; calls: ${this.calls.join('; ')}`);
    if (error === undefined) entry.resolve({ durationMs: 1 });
    else entry.reject(error);
    await new Promise((resolve) => setImmediate(resolve));
  }
  private drop(entry: Pending): void {
    this.pending.splice(this.pending.indexOf(entry), 1);
  }
}

const events: string[] = [];
const logger: Logger = {
  debug: () => undefined,
  info: (event, data) => events.push(`${event} ${String(data?.id ?? '')}`),
  warn: (event, data) => events.push(`${event} ${String(data?.next ?? '')}`),
  error: () => undefined,
};

const step = (id: string, noTransaction = false): PlanStep => ({ kind: 'apply', migration: migration({ id, sql: `create table t${id.slice(-1)} (id int);`, noTransaction }) });

function contextOf(session: HeldSession, more: Partial<StepContext> = {}): StepContext {
  return {
    session: session as unknown as LedgerSession,
    logger,
    clock: { now: () => 1_000_000 },
    bundleId: 'b',
    runId: 1,
    actor: 'test',
    stopAt: null,
    lockTimeoutMs: 1_000,
    statementTimeoutMs: 10_000,
    knowledge: { migrations: [], applied: new Set() },
    checkpoint: () => session.checkpoint(),
    ...more,
  };
}

const failed = (id: string): MigrationFailedError =>
  new MigrationFailedError({ migration: id, file: `${id}.sql`, line: 1, column: null, statement: 'create table tb (id int)', sqlstate: '42P07', pgMessage: 'relation "tb" already exists' }, false);

const cancelled = (id: string): MigrationFailedError =>
  new MigrationFailedError({ migration: id, file: `${id}.sql`, line: 1, column: null, statement: 'select pg_sleep(1)', sqlstate: '57014', pgMessage: 'canceling statement due to user request' }, false);

/** Waits (in real time) until `done` holds, for a test whose deadline timer is real. */
async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited += 5) {
    if (waited > 2_000) throw new Error('gave up waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

beforeEach(() => events.splice(0));

describe('runSteps with a session that answers later', () => {
  it('sends the next migration before the previous one settled, and logs and reports each in its turn', async () => {
    // Prepare
    const session = new HeldSession();
    const progress: StepProgress = { applied: [], reverted: [] };

    // Act
    const done = runSteps(contextOf(session), [step('a/0001_a'), step('a/0002_b'), step('a/0003_c')], progress);
    await new Promise((resolve) => setImmediate(resolve));
    const sentFirst = [...session.calls];
    await session.settle('a/0001_a');
    await session.settle('a/0002_b');
    await session.settle('a/0003_c');

    // Assess
    expect(sentFirst).toEqual(['apply a/0001_a (unsettled: none)', 'apply a/0002_b (unsettled: a/0001_a)']);
    expect(session.calls[2]).toBe('apply a/0003_c (unsettled: a/0002_b)');
    expect(await done).toBe(3);
    expect(progress.applied.map((a) => a.id)).toEqual(['a/0001_a', 'a/0002_b', 'a/0003_c']);
    expect(events).toEqual([
      'migration.started a/0001_a', 'migration.applied a/0001_a',
      'migration.started a/0002_b', 'migration.applied a/0002_b',
      'migration.started a/0003_c', 'migration.applied a/0003_c',
    ]);
  });

  it('throws the failing migration\'s error, not the one sent behind it, and waits for that one first', async () => {
    // Prepare
    const session = new HeldSession();
    const progress: StepProgress = { applied: [], reverted: [] };
    const done = runSteps(contextOf(session), [step('a/0001_a'), step('a/0002_b'), step('a/0003_c')], progress);
    let settledAt = '';
    void done.catch(() => (settledAt = session.pending.map((p) => p.id).join(',') || 'none'));
    await new Promise((resolve) => setImmediate(resolve));

    // Act
    await session.settle('a/0001_a');
    await session.settle('a/0002_b', failed('a/0002_b'));
    const beforeThird = settledAt;
    await session.settle('a/0003_c', new Error('not run: a/0002_b did not commit'));
    const error = await done.catch((caught: unknown) => caught);

    // Assess
    expect(beforeThird).toBe('');
    expect(settledAt).toBe('none');
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect((error as MigrationFailedError).failure.migration).toBe('a/0002_b');
    expect(progress.applied.map((a) => a.id)).toEqual(['a/0001_a']);
    expect(events).toEqual(['migration.started a/0001_a', 'migration.applied a/0001_a', 'migration.started a/0002_b']);
  });

  it('sends a no-transaction migration, and its checkpoint runs, only once nothing is unsettled', async () => {
    // Prepare
    const session = new HeldSession();
    const done = runSteps(contextOf(session), [step('a/0001_a'), step('a/0002_b', true), step('a/0003_c')], { applied: [], reverted: [] });
    await new Promise((resolve) => setImmediate(resolve));

    // Act
    await session.settle('a/0001_a');
    await session.settle('a/0002_b');
    await session.settle('a/0003_c');

    // Assess
    expect(await done).toBe(3);
    expect(session.calls).toEqual(['apply a/0001_a (unsettled: none)', 'checkpoint (unsettled: none)', 'apply a/0002_b (unsettled: none)', 'apply a/0003_c (unsettled: none)']);
  });

  it('under a deadline, sends ahead only while the time left holds the previous migration at its limits and the next one', async () => {
    // Prepare: 10 s statement timeouts; a single-statement migration takes at most 4 × 10 s
    const tight = new HeldSession();
    const ample = new HeldSession();
    const steps = [step('a/0001_a'), step('a/0002_b')];

    // Act
    const tightRun = runSteps(contextOf(tight, { stopAt: 1_000_000 + 49_999 }), steps, { applied: [], reverted: [] });
    const ampleRun = runSteps(contextOf(ample, { stopAt: 1_000_000 + 50_000 }), steps, { applied: [], reverted: [] });
    await new Promise((resolve) => setImmediate(resolve));
    const [tightFirst, ampleFirst] = [[...tight.calls], [...ample.calls]];
    for (const session of [tight, ample]) {
      await session.settle('a/0001_a');
      await session.settle('a/0002_b');
    }

    // Assess: ahead, the next one is sent with its full timeouts, not capped
    expect(tightFirst).toEqual(['apply a/0001_a (unsettled: none)']);
    expect(ampleFirst).toEqual(['apply a/0001_a (unsettled: none)', 'apply a/0002_b (unsettled: a/0001_a)']);
    expect(ample.requests[1]).toMatchObject({ statementTimeoutMs: 10_000, lockTimeoutMs: 1_000 });
    expect(await tightRun).toBe(2);
    expect(await ampleRun).toBe(2);
  });

  it('at the deadline cancels the migration in flight, and sends nothing more until the cancel was delivered, even when it finished meanwhile', async () => {
    // Prepare: a real clock and a deadline 30 ms away
    const session = new HeldSession();
    const progress: StepProgress = { applied: [], reverted: [] };
    const done = runSteps(contextOf(session, { clock: { now: () => Date.now() }, stopAt: Date.now() + 30 }), [step('a/0001_a'), step('a/0002_b')], progress);
    let finished = false;
    void done.then(() => (finished = true));
    await until(() => session.cancels.length === 1);

    // Act: the migration finishes just as the cancel goes out
    await session.settle('a/0001_a');
    const beforeDelivery = { calls: [...session.calls], finished };
    (session.cancels[0] as () => void)();

    // Assess
    expect(beforeDelivery).toEqual({ calls: ['apply a/0001_a (unsettled: none)', 'cancel (unsettled: a/0001_a)'], finished: false });
    expect(await done).toBe(1);
    expect(session.calls).toHaveLength(2);
    expect(progress.applied.map((a) => a.id)).toEqual(['a/0001_a']);
    expect(events).toContain('run.stopped a/0002_b');
  });

  it('cancels again while the migration still runs after a cancel was delivered (one that reached an idle moment cut nothing), and stops once it ended', async () => {
    // Prepare: a real clock and a deadline 20 ms away; one migration
    const session = new HeldSession();
    const progress: StepProgress = { applied: [], reverted: [] };
    const done = runSteps(contextOf(session, { clock: { now: () => Date.now() }, stopAt: Date.now() + 20 }), [step('a/0001_a')], progress).catch((caught: unknown) => caught);
    await until(() => session.cancels.length === 1);

    // Act: the first cancel is delivered and the migration goes on; the second one cuts it
    (session.cancels[0] as () => void)();
    await until(() => session.cancels.length === 2);
    await session.settle('a/0001_a', cancelled('a/0001_a'));
    (session.cancels[1] as () => void)();
    await done;
    await new Promise((resolve) => setTimeout(resolve, 250));

    // Assess: two cancels, none after the migration ended
    expect(session.calls).toEqual(['apply a/0001_a (unsettled: none)', 'cancel (unsettled: a/0001_a)', 'cancel (unsettled: a/0001_a)']);
    expect(progress.applied).toEqual([]);
  });

  it('cancels again for a migration sent ahead that outlived the first cancel, only after that one was delivered, and stops as incomplete', async () => {
    // Prepare: timeouts of 1 ms, so the next migration is sent ahead under the deadline
    const session = new HeldSession();
    const progress: StepProgress = { applied: [], reverted: [] };
    const context = contextOf(session, { clock: { now: () => Date.now() }, stopAt: Date.now() + 40, statementTimeoutMs: 1, lockTimeoutMs: 1 });
    const done = runSteps(context, [step('a/0001_a'), step('a/0002_b'), step('a/0003_c')], progress);
    await until(() => session.cancels.length === 1);

    // Act
    await session.settle('a/0001_a');
    const cancelsBeforeDelivery = session.cancels.length;
    (session.cancels[0] as () => void)();
    await until(() => session.cancels.length === 2);
    await session.settle('a/0002_b', cancelled('a/0002_b'));
    (session.cancels[1] as () => void)();

    // Assess
    expect(cancelsBeforeDelivery).toBe(1);
    expect(session.calls).toEqual(['apply a/0001_a (unsettled: none)', 'apply a/0002_b (unsettled: a/0001_a)', 'cancel (unsettled: a/0001_a,a/0002_b)', 'cancel (unsettled: a/0002_b)']);
    expect(await done).toBe(1);
    expect(progress.applied.map((a) => a.id)).toEqual(['a/0001_a']);
    expect(events.filter((e) => e.startsWith('run.stopped'))).toEqual(['run.stopped a/0002_b']);
  });

  it('stops as incomplete at a no-transaction migration cancelled before any of its statements was sent, and fails one that sent a statement', async () => {
    // Prepare: two runs of a/0001_a then the no-transaction a/0002_b, each cancelled at the deadline while a/0002_b is in flight (600 ms away: a/0001_a must end before it, also on a loaded machine)
    const outcomes: unknown[] = [];
    const stoppedLogs: string[][] = [];
    for (const notSent of [true, false]) {
      events.splice(0);
      const session = new HeldSession();
      const progress: StepProgress = { applied: [], reverted: [] };
      const done = runSteps(contextOf(session, { clock: { now: () => Date.now() }, stopAt: Date.now() + 600 }), [step('a/0001_a'), step('a/0002_b', true)], progress).catch((caught: unknown) => caught);
      await until(() => session.pending.length === 1);
      await session.settle('a/0001_a');
      await until(() => session.cancels.length === 1);

      // Act
      const error = cancelled('a/0002_b');
      await session.settle('a/0002_b', notSent ? error.with({ notSent: true }) : error);
      (session.cancels[0] as () => void)();
      outcomes.push(await done);
      stoppedLogs.push(events.filter((e) => e.startsWith('run.stopped')));
    }

    // Assess: not sent, it is pending; sent, it is the run's failure
    expect(outcomes[0]).toBe(1);
    expect(stoppedLogs[0]).toEqual(['run.stopped a/0002_b']);
    expect(outcomes[1]).toBeInstanceOf(MigrationFailedError);
    expect((outcomes[1] as MigrationFailedError).failure.deadline).toMatchObject({ by: 'cancel' });
    expect(stoppedLogs[1]).toEqual([]);
  });

  it('fails the first migration cancelled at the deadline with the cut in its failure', async () => {
    // Prepare
    const session = new HeldSession();
    const done = runSteps(contextOf(session, { clock: { now: () => Date.now() }, stopAt: Date.now() + 20, actor: 'lambda:svc-migrate:r1', stage: 'prod' }), [step('a/0001_a')], { applied: [], reverted: [] });
    await until(() => session.cancels.length === 1);

    // Act
    await session.settle('a/0001_a', cancelled('a/0001_a'));
    (session.cancels[0] as () => void)();
    const error = await done.catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect((error as MigrationFailedError).failure.deadline).toMatchObject({ by: 'cancel', actor: 'lambda:svc-migrate:r1', stage: 'prod' });
    expect((error as MigrationFailedError).message).toMatch(/^Migration a\/0001_a \(a\/0001_a\.sql\) was cancelled at the deadline of function svc-migrate \(stage prod\) after \d+ ms/);
  });

  it('without a deadline never cancels', async () => {
    // Prepare
    const session = new HeldSession();
    const done = runSteps(contextOf(session), [step('a/0001_a')], { applied: [], reverted: [] });
    await new Promise((resolve) => setTimeout(resolve, 30));

    // Act
    await session.settle('a/0001_a');

    // Assess
    expect(await done).toBe(1);
    expect(session.calls).toEqual(['apply a/0001_a (unsettled: none)']);
  });

  it('does not blame the deadline for a 57014 or 55P03 that came sooner than the capped timeout: the migration\'s own', async () => {
    // Prepare: 5 s left, so both timeouts are capped; the failures come at once (a SET LOCAL statement_timeout of 50 ms, a LOCK … NOWAIT)
    const failing = (id: string, sqlstate: string): MigrationFailedError =>
      new MigrationFailedError({ migration: id, file: `${id}.sql`, line: 1, column: null, statement: 'select pg_sleep(1)', sqlstate, pgMessage: 'canceling statement' }, false);
    const timedOut = new HeldSession();
    const noWait = new HeldSession();
    const more = { clock: { now: () => 1_000_000 }, stopAt: 1_005_000, statementTimeoutMs: 30_000, lockTimeoutMs: 10_000 };
    const timedOutRun = runSteps(contextOf(timedOut, more), [step('a/0001_a'), step('a/0002_b')], { applied: [], reverted: [] }).catch((caught: unknown) => caught);
    const noWaitRun = runSteps(contextOf(noWait, more), [step('a/0001_a'), step('a/0002_b')], { applied: [], reverted: [] }).catch((caught: unknown) => caught);
    await new Promise((resolve) => setImmediate(resolve));

    // Act
    await timedOut.settle('a/0001_a');
    await timedOut.settle('a/0002_b', failing('a/0002_b', '57014'));
    await noWait.settle('a/0001_a');
    await noWait.settle('a/0002_b', failing('a/0002_b', '55P03'));

    // Assess: failures of the later migration, not `incomplete`, and no deadline in them
    for (const outcome of [await timedOutRun, await noWaitRun]) {
      expect(outcome).toBeInstanceOf(MigrationFailedError);
      expect((outcome as MigrationFailedError).failure.deadline).toBeUndefined();
    }
  });

  it('counts a lock wait cut by a lock_timeout the deadline capped as the deadline: pending after the first migration, the failure for the first', async () => {
    // Prepare: 5 s left, lock_timeout 10 s, so it is capped; the timer does not fire during the test
    const lockTimedOut = (id: string): MigrationFailedError =>
      new MigrationFailedError({ migration: id, file: `${id}.sql`, line: 1, column: null, statement: 'lock table t', sqlstate: '55P03', pgMessage: 'canceling statement due to lock timeout' }, false);
    const later = new HeldSession();
    const first = new HeldSession();
    let now = Date.now();
    const more = { clock: { now: () => now }, stopAt: now + 5_000, lockTimeoutMs: 10_000 };
    const laterRun = runSteps(contextOf(later, more), [step('a/0001_a'), step('a/0002_b')], { applied: [], reverted: [] });
    const firstRun = runSteps(contextOf(first, more), [step('a/0001_a')], { applied: [], reverted: [] }).catch((caught: unknown) => caught);
    await new Promise((resolve) => setImmediate(resolve));

    // Act: each lock wait lasted its whole capped lock_timeout
    await later.settle('a/0001_a');
    now += 5_000;
    await later.settle('a/0002_b', lockTimedOut('a/0002_b'));
    await first.settle('a/0001_a', lockTimedOut('a/0001_a'));

    // Assess
    expect(await laterRun).toBe(1);
    expect((await firstRun as MigrationFailedError).failure.deadline).toMatchObject({ by: 'lock_timeout', configuredMs: 10_000 });
    expect(later.cancels).toHaveLength(0);
  });
});
