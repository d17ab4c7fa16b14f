/**
 * One locked (or read-only) session on the ledger: the adapter side of
 * `LedgerSession`, on one pg client that `PgMigrationDatabase` opened and
 * holds the lock on. It keeps what the session knows (the ledger it created,
 * the complete mark it read, the relations its migrations locked) so that no
 * query is sent to learn it again.
 */
import type pg from 'pg';
import { NotDirtyError } from '../../core/errors';
import { Action } from '../../core/result';
import { settle, type Settled } from '../../core/settled';
import type {
  ApplyRequest,
  LedgerSession,
  LedgerSnapshot,
  RecordRequest,
  RevertRequest,
  RehearsalLimits,
  RehearseRequest,
  RunFinish,
  RunStart,
  StageFacts,
} from '../../ports';
import type { DriftReport } from '../../core/drift';
import type { LastRun } from '../../core/last-run';
import type { SchemaObject } from '../../core/schema';
import { applyMigration, recordMigration } from './apply';
import { ApplyChain } from './apply-chain';
import { sendCancelRequest } from './cancel-request';
import { pipelinable } from './pipelined-transaction';
import { setTimeouts, type Timeouts } from './script';
import { readDriftStamped } from './baseline';
import { keepingBaselineCurrent, replaceBaselineObjects, storeBaseline, storeFirstBaseline } from './baseline-store';
import { readSchemaObjects } from './schema-objects';
import { selectInvalidIndexes } from './invalid-indexes';
import { mappingErrors } from './errors';
import type { LedgerTables } from './ledger';
import { matchesCompleteMark, readLedgerRows, writeCompleteMark } from './ledger-snapshot';
import { rowState, settleDirtyRow } from './ledger-rows';
import { insertRun, selectLastRun, updateRun } from './ledger-runs';
import { revertMigration } from './revert';
import { rehearseMigrations } from './rehearse';
import type { RehearsalOutcome } from '../../core/rehearsal';
import { readStageFacts } from './stage-facts';

/** See the file header; built by `PgMigrationDatabase.withLock`. */
export class PgLedgerSession implements LedgerSession {
  /** Whether `timeouts` are in force for the session yet: set with the first migration, not before. */
  private timeoutsSet = false;
  /** The answer to the session's timeouts, sent behind a migrate run's row (see `startRun`) and taken with its first migration. */
  private timeoutsAhead?: Promise<Settled<void>>;
  /**
   * The relations this session's migrations locked since the baseline's
   * stamps were last proven live (by a drift check that found them equal, or
   * a store); null when something else may have changed the schema (a
   * `no-transaction` migration, a reverse script, no proof yet).
   */
  private touched: Set<string> | null = null;
  /** The order of migrations asked for before the previous one settled. */
  private readonly chain = new ApplyChain();
  /** The ledger was created by this session, which has stored no baseline in it yet: its baseline tables are empty. */
  private baselineEmpty: boolean;

  /**
   * @param created the ledger was created by this session, under its lock: until
   *   the session writes, it holds no row and no mark, and no query is needed to say so.
   */
  constructor(
    private readonly client: pg.Client,
    private readonly tables: LedgerTables,
    private readonly timeouts?: Timeouts,
    /** A read-only session did not create the ledger: it may be missing. */
    private readonly ledgerEnsured = true,
    private created = false,
    /**
     * The complete mark as read under the lock (see `trustedMark`), until this
     * session writes one; undefined when not known.
     */
    private knownMark?: string | null,
  ) {
    this.baselineEmpty = created;
  }

  readLastRun(): Promise<LastRun | null> {
    return mappingErrors('reading the last run', () => selectLastRun(this.client, this.tables));
  }

  readLedger(): Promise<LedgerSnapshot> {
    if (this.created) return Promise.resolve({ exists: true, rows: [] });
    // A session opened after ensureLedger knows the ledger exists.
    return mappingErrors('reading the ledger', () => readLedgerRows(this.client, this.tables, this.ledgerEnsured));
  }

  rehearse(requests: readonly RehearseRequest[], limits: RehearsalLimits): Promise<RehearsalOutcome[]> {
    return rehearseMigrations(this.client, requests, limits);
  }

  startRun(run: RunStart): Promise<number> {
    this.created = false;
    const inserting = mappingErrors('recording the start of the run', () => insertRun(this.client, this.tables, run));
    // A migrate run's migrations follow: on a pipelined client the timeouts go out in the same round trip, their answer awaited with the first one.
    if (run.action === Action.MIGRATE && this.client.pipeline && this.timeouts && !this.timeoutsSet && this.timeoutsAhead === undefined) {
      this.timeoutsAhead = settle(setTimeouts(this.client, this.timeouts, false));
    }
    return inserting;
  }

  finishRun(runId: number, finish: RunFinish): Promise<void> {
    this.created = false;
    return mappingErrors(`recording the end of run ${runId}`, () => updateRun(this.client, this.tables, runId, finish));
  }

  apply(request: ApplyRequest): Promise<{ durationMs: number }> {
    this.created = false;
    const { migration } = request;
    // The locks are read only while they can spare a pass over the catalog (see `touched`).
    const withLocks = this.touched !== null;
    const pipelined = !migration.directives.noTransaction && pipelinable(this.client, request);
    return mappingErrors(`applying ${migration.id}`, () =>
      this.chain.add(migration.id, pipelined, async (after, written) => {
        const applying = applyMigration(this.client, this.tables, { ...request, after }, await this.sessionTimeouts(), withLocks);
        written();
        // Until it is known what the migration locked, nothing is known: a failure leaves it so.
        const { durationMs, touched } = await applying.catch((error: unknown) => {
          this.touched = null;
          throw error;
        });
        this.touched = withLocks && this.touched !== null && touched !== null ? new Set([...this.touched, ...touched]) : null;
        return { durationMs };
      }, request.behind),
    );
  }

  revert(request: RevertRequest): Promise<{ durationMs: number }> {
    this.created = false;
    this.touched = null;
    return mappingErrors(`reverting ${request.migration.id}`, async () =>
      revertMigration(this.client, this.tables, request, await this.sessionTimeouts()),
    );
  }

  cancel(): Promise<void> {
    return sendCancelRequest(this.client);
  }

  /** The session's usual timeouts, set with the first migration (not before), or undefined without them. */
  private async sessionTimeouts(): Promise<Timeouts | undefined> {
    if (this.timeouts && !this.timeoutsSet) {
      const ahead = this.timeoutsAhead;
      this.timeoutsAhead = undefined;
      const answer = ahead ? await ahead : await settle(setTimeouts(this.client, this.timeouts, false));
      if (!answer.ok) throw answer.error;
      this.timeoutsSet = true;
    }
    return this.timeoutsSet ? this.timeouts : undefined;
  }

  record(request: RecordRequest): Promise<void> {
    this.created = false;
    return mappingErrors(`recording ${request.migration.id}`, () => recordMigration(this.client, this.tables, request));
  }

  markComplete(bundleId: string): Promise<void> {
    this.created = false;
    this.knownMark = undefined;
    return mappingErrors('recording that the ledger is complete', () => writeCompleteMark(this.client, this.tables, bundleId));
  }

  isMarkedComplete(bundleId: string): Promise<boolean> {
    if (this.created) return Promise.resolve(false);
    // A mark of another bundle (or none) answers without a query; the same bundle's mark still needs the ledger's digest.
    if (this.knownMark !== undefined && !this.knownMark?.startsWith(`${bundleId} `)) return Promise.resolve(false);
    return mappingErrors('comparing the ledger with its complete mark', () => matchesCompleteMark(this.client, this.tables, bundleId));
  }

  resolveDirty(id: string, outcome: 'applied' | 'rolled-back', runId: number): Promise<Record<string, unknown> | null> {
    this.created = false;
    return mappingErrors(`resolving ${id}`, async () => {
      const failure = await settleDirtyRow(this.client, this.tables, id, outcome, runId);
      if (failure !== undefined) return failure;
      throw new NotDirtyError(id, await rowState(this.client, this.tables, id));
    });
  }

  invalidIndexes(): Promise<{ schema: string; table: string; index: string }[]> {
    return mappingErrors('looking for INVALID indexes', () => selectInvalidIndexes(this.client, this.tables));
  }

  readDrift(): Promise<DriftReport> {
    // A ledger this session created has no baseline yet: nothing to compare, and no query needed to say so.
    if (this.created) return Promise.resolve({ ledgerSchema: this.tables.schema, baseline: false, stale: false, differences: [] });
    return mappingErrors('comparing the schema with its baseline', async () => {
      const { report, stampMatched } = await readDriftStamped(this.client, this.tables);
      this.touched = stampMatched ? new Set() : null;
      return report;
    });
  }

  storeBaseline(onlyIfUnusable?: boolean): Promise<void> {
    return mappingErrors('storing the schema baseline', async () => {
      const saved = this.touched;
      this.touched = null;
      const first = this.baselineEmpty;
      this.baselineEmpty = false;
      const stored = first
        ? await storeFirstBaseline(this.client, this.tables).then(() => true)
        : await storeBaseline(this.client, this.tables, onlyIfUnusable, saved === null ? null : [...saved]);
      // Stored: every unit stamp is live again (bar changes made meanwhile by others, which the next check finds).
      this.touched = stored ? new Set() : saved;
    });
  }

  readSchemaObjects(): Promise<SchemaObject[]> {
    return mappingErrors('reading the schema', () => readSchemaObjects(this.client, [this.tables.schema]));
  }

  replaceBaselineObjects(keys: readonly string[], objects: readonly SchemaObject[], underTables = true): Promise<boolean> {
    this.baselineEmpty = false;
    return mappingErrors('updating the schema baseline', () => replaceBaselineObjects(this.client, this.tables, keys, objects, underTables));
  }

  adopt(request: RecordRequest): Promise<void> {
    // Adopting changes the ledger, not the schema: the baseline stays comparable.
    return mappingErrors(`adopting ${request.migration.id}`, () =>
      keepingBaselineCurrent(this.client, this.tables, () => recordMigration(this.client, this.tables, request, 'adopted')),
    );
  }

  readStageFacts(): Promise<StageFacts> {
    return mappingErrors('reading the stage facts', () => readStageFacts(this.client, this.tables));
  }
}
