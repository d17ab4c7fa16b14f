/**
 * The engine's step loop against a fake session that answers when the test
 * says: which step is sent before which one settled, what is thrown.
 */
import { MigrationFailedError } from '../../lib/core/errors';
import type { PlanStep } from '../../lib/core/plan';
import type { ApplyRequest, LedgerSession, Logger } from '../../lib/ports';
import { refuseUnrunnable } from '../../lib/core/step-statements';
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

/** The steps with their statements, as the run verified them. */
const run = (ctx: StepContext, steps: PlanStep[], progress: StepProgress): Promise<number> => runSteps(ctx, steps, refuseUnrunnable(steps), progress);

beforeEach(() => events.splice(0));

describe('runSteps with a session that answers later', () => {
  it('sends the next migration before the previous one settled, and logs and reports each in its turn', async () => {
    // Prepare
    const session = new HeldSession();
    const progress: StepProgress = { applied: [], reverted: [] };

    // Act
    const done = run(contextOf(session), [step('a/0001_a'), step('a/0002_b'), step('a/0003_c')], progress);
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
    const done = run(contextOf(session), [step('a/0001_a'), step('a/0002_b'), step('a/0003_c')], progress);
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
    const done = run(contextOf(session), [step('a/0001_a'), step('a/0002_b', true), step('a/0003_c')], { applied: [], reverted: [] });
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
    const tightRun = run(contextOf(tight, { stopAt: 1_000_000 + 49_999 }), steps, { applied: [], reverted: [] });
    const ampleRun = run(contextOf(ample, { stopAt: 1_000_000 + 50_000 }), steps, { applied: [], reverted: [] });
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
});
