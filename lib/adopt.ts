import { verifyClaims } from './core/bundle-claims';
import { adoptionPlan, type AdoptionPlan } from './core/adoption';
import { plan as planSteps } from './core/plan';
import { describeAdoptionDifference, proveAdoption, type AdoptionProof } from './core/drift';
import { AdoptRefusedError, asRunnerError, ErrorCode, MigrationRunnerError, UsageError } from './core/errors';
import { isMigrationId, type Migration } from './core/migration';
import { Action } from './core/result';
import type { SchemaObject } from './core/schema';
import { statementsOf } from './core/step-statements';
import { unrunnableError } from './core/unrunnable';
import { findUnsquashable, StatementConcern } from './core/squash-statements';
import { RunOutcome, type BundleSource, type Clock, type LedgerSession, type Logger, type MigrationDatabase, type ScratchDatabases } from './ports';
import type { RunSettings } from './run';
import { capTimeout } from './run-steps';

export interface AdoptRequest {
  id: string;
  actor: string;
  /** Record it even when it cannot be proven, saying why. */
  force?: { reason: string };
  /**
   * Epoch ms after which adopt may not go on (Lambda's deadline less its
   * safety margin); needs `clock`. The lock wait and each replay's
   * timeouts are capped to the time left, and no replay starts after it.
   */
  stopAt?: number;
}

export interface AdoptResult {
  ok: true;
  action: 'adopt';
  id: string;
  bundleId: string;
  /** True when the live objects were proven to be what the migration makes. */
  verified: boolean;
  /** The objects (`kind name`) the migration makes, changes or removes; compared when `verified`. */
  objects: string[];
  /** With `force`: what was not verified, one line each. */
  skipped: string[];
  /** Whether the drift baseline now holds the adopted objects as the migration made them. */
  baselineUpdated: boolean;
  reason?: string;
}

/** What adopt needs from the outside world. */
export interface AdoptDependencies {
  source: BundleSource;
  db: MigrationDatabase;
  scratch: ScratchDatabases;
  logger: Logger;
  /** Reads the time for `stopAt`; without one there is no deadline. */
  clock?: Clock;
}

const PURPOSE = 'stagegate adopt';

/**
 * `stagegate adopt <id>`: records a pending migration as applied without
 * running it, once the live objects it would make are proven to be exactly
 * what it makes. Under the ledger lock: the migrations it depends on are
 * replayed on a scratch database, then it; the objects it touched there are
 * compared with the live ones. A difference, or a migration that touches no
 * object, refuses with `ADOPT_REFUSED`, writing nothing. `force` records it
 * anyway with the reason and the list of what was not verified.
 *
 * @example
 * await adoptMigration({ source, db, scratch, logger }, { id: 'app/0002_org', actor: 'cli:me' }, settings);
 */
export async function adoptMigration(deps: AdoptDependencies, request: AdoptRequest, settings: RunSettings): Promise<AdoptResult> {
  if (!isMigrationId(request.id)) throw new UsageError(`"${request.id.slice(0, 80)}" is not a migration id (expected app/NNNN_name).`);
  const bundle = await deps.source.load();
  const left = timeLeft(deps, request);
  return deps.db.withLock({ waitMs: Math.max(0, Math.min(settings.lockWaitMs, left() ?? Infinity)) }, async (session) => {
    const ledger = await session.readLedger();
    const plan = adoptionPlan(bundle.migrations, ledger.rows, request.id);
    // The ledger must agree with the bundle as for migrate (checksums, unknown or dirty rows), and the target be pending.
    if (!planSteps(bundle.migrations, ledger.rows).some((step) => step.kind === 'apply' && step.migration.id === request.id)) {
      throw new AdoptRefusedError(request.id, 'it is not pending: a squash that replaces it is in effect.', { remedy: 'Nothing to adopt; `stagegate status` shows every migration.' });
    }
    if (!bundle.allVerified) verifyClaims(bundle.migrations, [...plan.history, plan.target], bundle.origin);
    const { proof, skipped } = await proveOrSkip(deps, session, plan, { settings, left }, request.force !== undefined);
    if (request.force === undefined) refuseUnproven(plan.target, proof as AdoptionProof);
    const runId = await session.startRun({ action: Action.ADOPT, bundleId: bundle.id, actor: request.actor });
    const objects = (proof?.touched ?? []).map((k) => k.replace('\t', ' '));
    const verified = skipped.length === 0;
    try {
      await session.adopt({ migration: plan.target, bundleId: bundle.id, runId, appliedBy: request.actor });
      // The adopted objects are expected from now on; the rest of the baseline stays as it was.
      const baselineUpdated = proof !== null && proof.touched.length > 0 ? await session.replaceBaselineObjects(proof.touched, proof.live, true) : false;
      const details = { reason: request.force?.reason ?? null, forced: request.force !== undefined, verified, objects, skipped, baselineUpdated };
      await session.finishRun(runId, { outcome: RunOutcome.SUCCEEDED, applied: [request.id], details });
      deps.logger.info('migration.adopted', { id: request.id, verified, objects: objects.length, skipped: skipped.length, baselineUpdated });
      return { ok: true, action: Action.ADOPT, id: request.id, bundleId: bundle.id, verified, objects, skipped, baselineUpdated, ...(request.force ? { reason: request.force.reason } : {}) };
    } catch (error) {
      await session.finishRun(runId, { outcome: RunOutcome.FAILED, applied: [], error: asRunnerError(error).toJSON() }).catch(() => undefined);
      throw error;
    }
  });
}

/** The settings of a proof, and the time left before the deadline (null without one). */
interface ProofLimits {
  settings: RunSettings;
  left: () => number | null;
}

function timeLeft(deps: AdoptDependencies, request: AdoptRequest): () => number | null {
  const { clock } = deps;
  const { stopAt } = request;
  return () => (clock === undefined || stopAt === undefined ? null : stopAt - clock.now());
}

/** The proof, or with `force` whatever could not be proven instead of a refusal. */
async function proveOrSkip(
  deps: AdoptDependencies,
  session: LedgerSession,
  plan: AdoptionPlan,
  limits: ProofLimits,
  force: boolean,
): Promise<{ proof: AdoptionProof | null; skipped: string[] }> {
  let proof: AdoptionProof;
  try {
    proof = await prove(deps, session, plan, limits);
  } catch (error) {
    const unprovable = error instanceof MigrationRunnerError && (error.code === ErrorCode.SCRATCH_DATABASE_FAILED || error.code === ErrorCode.ADOPT_REFUSED);
    if (!force || !unprovable) throw error;
    return { proof: null, skipped: [`the whole proof: ${error.message}`] };
  }
  if (!force) return { proof, skipped: [] };
  const skipped = proof.differences.map(describeAdoptionDifference);
  if (proof.touched.length === 0) skipped.push('the migration changes no schema object: its effect (data) could not be compared');
  else skipped.push(...rowWrites(plan.target).map((line) => `${line}: its rows could not be compared`));
  return { proof, skipped };
}

/** The migration's statements that write rows (`INSERT INTO org_type at line 2`): the proof compares objects, never rows. */
function rowWrites(migration: Migration): string[] {
  return findUnsquashable(migration.sql)
    .filter((finding) => finding.concern === StatementConcern.DATA)
    .map((finding) => `${finding.what} at ${migration.file}:${finding.line}`);
}

function refuseUnproven(migration: Migration, proof: AdoptionProof): void {
  const id = migration.id;
  if (proof.touched.length === 0) {
    throw new AdoptRefusedError(id, 'it changes no schema object (data only?), so there is nothing to prove it by.', {
      remedy: `If its effect is on the database, record it with \`stagegate adopt ${id} --force --reason "…"\`; otherwise let \`migrate\` run it.`,
    });
  }
  const writes = rowWrites(migration);
  if (proof.differences.length === 0 && writes.length > 0) {
    // Adopting would record rows as written that were never compared (seed rows missing from a hand-made table, say).
    throw new AdoptRefusedError(id, `it also writes rows, which the proof cannot compare (${writes.length} statement(s)):`, {
      lines: writes,
      remedy: `Check that the live tables hold those rows, then \`stagegate adopt ${id} --force --reason "…"\`; or drop the objects and let \`migrate\` run it.`,
      details: { rowWrites: writes },
    });
  }
  if (proof.differences.length === 0) return;
  throw new AdoptRefusedError(id, `the live objects are not what the migration makes (${proof.differences.length} difference(s)):`, {
    lines: proof.differences.map(describeAdoptionDifference),
    remedy: `Make the live objects match the migration (or drop them and let \`migrate\` create them); \`--force --reason "…"\` records it anyway.`,
    details: { differences: proof.differences },
  });
}

/** Replays the history and the migration on a scratch database and compares what it touched with the live objects. */
async function prove(deps: AdoptDependencies, session: LedgerSession, plan: AdoptionPlan, limits: ProofLimits): Promise<AdoptionProof> {
  const live = await session.readSchemaObjects();
  return deps.scratch.withScratch(PURPOSE, (scratch) =>
    scratch.withLock({ waitMs: limits.settings.lockWaitMs }, async (copy) => {
      const runId = await copy.startRun({ action: Action.ADOPT, bundleId: '', actor: PURPOSE });
      for (const migration of plan.history) await replay(copy, migration, runId, plan.target.id, limits);
      const before: SchemaObject[] = await copy.readSchemaObjects();
      await replay(copy, plan.target, runId, plan.target.id, limits);
      const proof = proveAdoption(before, await copy.readSchemaObjects(), live);
      deps.logger.info('adopt.compared', { id: plan.target.id, replayed: plan.history.length + 1, objects: proof.touched.length, differences: proof.differences.length });
      return proof;
    }),
  );
}

async function replay(copy: LedgerSession, migration: Migration, runId: number, target: string, { settings, left }: ProofLimits): Promise<void> {
  const statements = statementsOf({ kind: 'apply', migration });
  const remaining = left();
  if (remaining !== null && remaining <= 0) {
    throw new AdoptRefusedError(target, `the invocation ran out of time before replaying ${migration.id} on a scratch database.`, {
      remedy: 'Give the migrate function a longer timeout (serverless.yml), deploy, and adopt again (the live database was not touched).',
      details: { outOfTime: migration.id },
    });
  }
  try {
    // Refused before it is sent, as a run refuses it.
    const refused = unrunnableError(migration, statements);
    if (refused) throw refused;
    await copy.apply({
      migration,
      statements,
      bundleId: '',
      runId,
      appliedBy: PURPOSE,
      lockTimeoutMs: capTimeout(settings.lockTimeoutMs, remaining),
      statementTimeoutMs: capTimeout(settings.statementTimeoutMs, remaining),
    });
  } catch (error) {
    const cause = asRunnerError(error);
    const outOfTime = remaining !== null && (left() ?? 0) <= 0;
    throw new AdoptRefusedError(target, `replaying ${migration.id} on a scratch database failed: ${cause.message}`, {
      remedy: outOfTime
        ? 'It was cut at the invocation\'s deadline: give the migrate function a longer timeout (serverless.yml), deploy, and adopt again (the live database was not touched).'
        : 'The history does not apply to an empty database as it is; fix that first (the live database was not touched).',
      details: { replayFailed: cause.toJSON() },
    });
  }
}
