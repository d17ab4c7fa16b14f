import type pg from 'pg';
import { ConfigInvalidError, NotDirtyError } from '../../core/errors';
import type {
  ApplyRequest,
  LedgerReader,
  LedgerSession,
  LedgerSnapshot,
  LockOptions,
  MigrationDatabase,
  RecordRequest,
  RevertRequest,
  RehearsalLimits,
  RehearseRequest,
  RunFinish,
  RunStart,
  StageFacts,
} from '../../ports';
import type { DriftReport } from '../../core/drift';
import type { SchemaObject } from '../../core/schema';
import { applyMigration, recordMigration } from './apply';
import { ApplyChain } from './apply-chain';
import { pipelinable } from './pipelined-transaction';
import { setTimeouts, type Timeouts } from './script';
import { keepingBaselineCurrent, readDrift, readDriftStamped, replaceBaselineObjects, storeBaseline } from './baseline';
import { readSchemaObjects } from './schema-objects';
import { withClient, type PgConnection } from './connect';
import { mappingErrors } from './errors';
import { ensureLedger, ledgerTables, type LedgerTables } from './ledger';
import { matchesCompleteMark, readLedgerRows, writeCompleteMark } from './ledger-snapshot';
import { rowState, settleDirtyRow } from './ledger-rows';
import { abandonRuns, insertRun, updateRun } from './ledger-runs';
import { readOpening, trustedMark, type LedgerOpening } from './ledger-opening';
import { withAdvisoryLock } from './lock';
import { revertMigration } from './revert';
import { rehearseMigrations } from './rehearse';
import type { RehearsalOutcome } from '../../core/rehearsal';
import { readStageFacts } from './stage-facts';

/** The ledger schema when configuration names none. */
export const DEFAULT_LEDGER_SCHEMA = 'stagegate';
/** Pause between two attempts to take the lock. */
export const DEFAULT_LOCK_POLL_MS = 200;
/** Limit on opening a connection. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Settings shared by both ways of naming the database. */
interface CommonOptions {
  /** Ledger schema, any name (it is always quoted). Default `stagegate`. */
  schema?: string;
  /** Pause between lock attempts, in ms (plus up to 25 % jitter). Default 200. */
  lockPollMs?: number;
  /** Limit on opening a connection, in ms. Default 10 000. */
  connectTimeoutMs?: number;
}

/**
 * `connectionString` for a plain URL; `connection` also accepts a factory of
 * `pg.ClientConfig`, called for every connection (e.g. to mint an RDS IAM token).
 */
export type PgMigrationDatabaseOptions = CommonOptions &
  ({ connectionString: string; connection?: never } | { connection: PgConnection; connectionString?: never });

class PgLedgerSession implements LedgerSession {
  /** Whether `timeouts` are in force for the session yet: set with the first migration, not before. */
  private timeoutsSet = false;
  /**
   * The relations this session's migrations locked since the baseline's
   * stamps were last proven live (by a drift check that found them equal, or
   * a store); null when something else may have changed the schema (a
   * `no-transaction` migration, a reverse script, no proof yet).
   */
  private touched: Set<string> | null = null;
  /** The order of migrations asked for before the previous one settled. */
  private readonly chain = new ApplyChain();

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
  ) {}

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
    return mappingErrors('recording the start of the run', () => insertRun(this.client, this.tables, run));
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
      }),
    );
  }

  revert(request: RevertRequest): Promise<{ durationMs: number }> {
    this.created = false;
    this.touched = null;
    return mappingErrors(`reverting ${request.migration.id}`, async () =>
      revertMigration(this.client, this.tables, request, await this.sessionTimeouts()),
    );
  }

  /** The session's usual timeouts, set with the first migration (not before), or undefined without them. */
  private async sessionTimeouts(): Promise<Timeouts | undefined> {
    if (this.timeouts && !this.timeoutsSet) {
      await setTimeouts(this.client, this.timeouts, false);
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

  resolveDirty(id: string, outcome: 'applied' | 'rolled-back', runId: number): Promise<void> {
    this.created = false;
    return mappingErrors(`resolving ${id}`, async () => {
      if (await settleDirtyRow(this.client, this.tables, id, outcome, runId)) return;
      throw new NotDirtyError(id, await rowState(this.client, this.tables, id));
    });
  }

  readDrift(): Promise<DriftReport> {
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
      const stored = await storeBaseline(this.client, this.tables, onlyIfUnusable, saved === null ? null : [...saved]);
      // Stored: every unit stamp is live again (bar changes made meanwhile by others, which the next check finds).
      this.touched = stored ? new Set() : saved;
    });
  }

  readSchemaObjects(): Promise<SchemaObject[]> {
    return mappingErrors('reading the schema', () => readSchemaObjects(this.client, [this.tables.schema]));
  }

  replaceBaselineObjects(keys: readonly string[], objects: readonly SchemaObject[], underTables = true): Promise<boolean> {
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

/**
 * The PostgreSQL adapter of {@link MigrationDatabase}: one connection per
 * session, a polled session advisory lock per ledger schema, and the ledger
 * in its own schema (`migrations`, `runs`, `meta`, `schema_objects`).
 *
 * @example
 * const db = new PgMigrationDatabase({ connectionString: process.env.DATABASE_URL!, schema: 'stagegate' });
 * await db.withLock({ waitMs: 30_000 }, async (session) => {
 *   const { rows } = await session.readLedger();
 *   // plan, then session.apply(...) for each pending migration
 * });
 */
export class PgMigrationDatabase implements MigrationDatabase {
  private readonly connection: PgConnection;
  private readonly schema: string;
  private readonly tables: LedgerTables;
  private readonly lockPollMs: number;
  private readonly connectTimeoutMs: number;

  constructor(options: PgMigrationDatabaseOptions) {
    this.connection = options.connection ?? options.connectionString;
    this.schema = options.schema ?? DEFAULT_LEDGER_SCHEMA;
    if (this.schema === '') {
      throw new ConfigInvalidError([{ key: 'schema', problem: 'the ledger schema name must not be empty' }]);
    }
    this.tables = ledgerTables(this.schema);
    this.lockPollMs = options.lockPollMs ?? DEFAULT_LOCK_POLL_MS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  withLock<T>(options: LockOptions, fn: (session: LedgerSession) => Promise<T>): Promise<T> {
    // Pipelined, so a migration's transaction is sent in one round trip (see pipelined-transaction.ts);
    // everything else on this client awaits each query, as without pipelining.
    return withClient(this.connection, { connectTimeoutMs: this.connectTimeoutMs, pipeline: true, ready: options.ready }, (client) => {
      const lock = { schema: this.schema, waitMs: options.waitMs, pollMs: this.lockPollMs };
      if (options.readOnly) return withAdvisoryLock(client, lock, () => fn(new PgLedgerSession(client, this.tables, options.timeouts, false)));
      // Read with the first attempt at the lock; a failed read is read again, and its error mapped, below.
      const opening = (): Promise<LedgerOpening | undefined> => readOpening(client, this.tables).catch(() => undefined);
      return withAdvisoryLock(
        client,
        lock,
        async (read) => {
          // Only now, holding the lock, may the ledger be created: two runs must not race on CREATE.
          const created = await mappingErrors('creating the ledger', () => ensureLedger(client, this.tables, read?.format));
          // We hold the lock, so a run still marked running belongs to a process that died (a new ledger has no run).
          if (!created && read?.running !== false) await mappingErrors('closing abandoned runs', () => abandonRuns(client, this.tables));
          const mark = read ? trustedMark(read.format) : undefined;
          return fn(new PgLedgerSession(client, this.tables, options.timeouts, true, created, mark));
        },
        opening,
      );
    });
  }

  withReader<T>(fn: (reader: LedgerReader) => Promise<T>, ready?: Promise<unknown>): Promise<T> {
    return withClient(this.connection, { connectTimeoutMs: this.connectTimeoutMs, ready }, (client) => {
      const reader: LedgerReader = {
        readLedger: () => mappingErrors('reading the ledger', () => readLedgerRows(client, this.tables)),
        readDrift: () => mappingErrors('comparing the schema with its baseline', () => readDrift(client, this.tables)),
      };
      return fn(reader);
    });
  }
}
