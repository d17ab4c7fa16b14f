import { ResolveRefusedError, UsageError } from './core/errors';
import { Action } from './core/result';
import { isMigrationId, LedgerState } from './core/migration';
import { RunOutcome, type LedgerSession, type Logger, type MigrationDatabase } from './ports';
import type { RunSettings } from './run';

export interface ResolveRequest {
  /** The dirty migration's id. */
  id: string;
  /** `applied`: its effects are complete; `rolled-back`: they were undone, run it again next time. */
  outcome: 'applied' | 'rolled-back';
  actor: string;
  /** Why the person decided so (what they checked or undid); kept in the run history. */
  reason?: string;
}

export interface ResolveResult {
  ok: true;
  action: 'resolve';
  id: string;
  outcome: 'applied' | 'rolled-back';
  /** The failure the ledger row held, now only in the run history (null when the migration was interrupted). */
  failure: { code: string | null; message: string } | null;
}

/**
 * The way out after a no-transaction migration failed or was interrupted:
 * an engineer checks the database, then settles the ledger row by hand.
 * Takes the ledger lock and records the decision in the run history.
 *
 * @example
 * await resolveMigration({ db, logger }, { id: 'shop/0004_index', outcome: 'rolled-back', actor: 'cli:me' }, settings);
 */
export async function resolveMigration(
  deps: { db: MigrationDatabase; logger: Logger },
  request: ResolveRequest,
  settings: Pick<RunSettings, 'lockWaitMs'>,
): Promise<ResolveResult> {
  if (!isMigrationId(request.id)) throw new UsageError(`"${request.id.slice(0, 80)}" is not a migration id (expected app/NNNN_name).`);
  return deps.db.withLock({ waitMs: settings.lockWaitMs }, async (session) => {
    const runId = await session.startRun({ action: Action.RESOLVE, bundleId: '', actor: request.actor });
    // The decision is the history: a `rolled-back` run applies nothing, so without it the run would not name the migration.
    const details = { id: request.id, outcome: request.outcome, reason: request.reason ?? null };
    let failure: Record<string, unknown> | null;
    try {
      if (request.outcome === 'applied') await refuseIncomplete(session, request.id);
      failure = await session.resolveDirty(request.id, request.outcome, runId);
    } catch (error) {
      const json = error instanceof Error && 'toJSON' in error ? (error as { toJSON(): Record<string, unknown> }).toJSON() : { message: String(error) };
      await session.finishRun(runId, { outcome: RunOutcome.FAILED, applied: [], error: json, details });
      throw error;
    }
    // Its effects are complete and expected from now on: the next run must not report them as drift.
    if (request.outcome === 'applied') {
      await session.storeBaseline().catch((error: unknown) => deps.logger.warn('drift.baseline_not_stored', { reason: error instanceof Error ? error.message : String(error) }));
    }
    // The row no longer carries the failure (an applied row has none): the resolve record keeps it.
    await session.finishRun(runId, { outcome: RunOutcome.SUCCEEDED, applied: request.outcome === 'applied' ? [request.id] : [], details: { ...details, failure } });
    const summary = failure === null ? null : { code: typeof failure.code === 'string' ? failure.code : null, message: String(failure.message ?? '') };
    deps.logger.info('migration.resolved', { id: request.id, outcome: request.outcome, failureCode: summary?.code ?? null });
    return { ok: true, action: 'resolve', id: request.id, outcome: request.outcome, failure: summary };
  });
}

/**
 * Refuses `--applied` for a dirty migration while an index is INVALID: a
 * `CREATE INDEX CONCURRENTLY` did not finish, so not every statement took
 * effect. A row that is not dirty is left to `resolveDirty` (NOT_DIRTY).
 */
async function refuseIncomplete(session: LedgerSession, id: string): Promise<void> {
  const row = (await session.readLedger()).rows.find((r) => r.id === id);
  if (!row || row.state === LedgerState.APPLIED) return;
  const invalid = await session.invalidIndexes();
  if (invalid.length > 0) throw new ResolveRefusedError(id, invalid);
}
