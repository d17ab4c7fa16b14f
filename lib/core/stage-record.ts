/**
 * A stage record: what one stage's last successful migrate run left behind,
 * kept in S3 at `<prefix>/stages/<stage>/state.json` for the next stage's
 * order check and for the stage matrix. Plain JSON; this module builds and
 * checks it and does no I/O.
 */
import { LedgerState, type AppliedMigration } from './migration';

/** The record format this version writes and reads. */
export const STAGE_RECORD_FORMAT = 1;
/** At most this many overrides are kept in a record (the newest); the runs table keeps them all. */
const MAX_RECORDED_OVERRIDES = 50;

/** One applied migration, as the stage's ledger has it. */
export interface StageRecordEntry {
  id: string;
  checksum: string;
  /** ISO 8601 time it was applied on the stage. */
  appliedAt: string;
}

/** A run that applied migrations the previous stage had not, with a reason. */
export interface StageOverride {
  /** Why; required for an override, at most {@link MAX_OVERRIDE_REASON} characters. */
  reason: string;
  /** ISO 8601 time of the run. */
  at: string;
  bundleId: string;
  actor: string;
  /** The stage whose record was overridden. */
  previousStage: string;
  /** The migrations it lacked. */
  missing: string[];
}

/** The longest override reason accepted. */
export const MAX_OVERRIDE_REASON = 500;

export interface StageRecord {
  format: typeof STAGE_RECORD_FORMAT;
  stage: string;
  bundleId: string;
  /** ISO 8601 time the record was written. */
  recordedAt: string;
  /** Every migration applied on the stage, sorted by id. */
  applied: StageRecordEntry[];
  /** The schema fingerprint (sha256 hex of the managed schemas' objects), null when it could not be computed. */
  schemaHash: string | null;
  /** Stage-order overrides on this stage, oldest first. */
  overrides: StageOverride[];
}

/**
 * The record of a stage from its ledger: only rows in state `applied` count
 * (a dirty row was not applied successfully).
 *
 * @example
 * const record = buildStageRecord({ stage: 'staging', bundleId, recordedAt: new Date().toISOString(), ledger: rows, schemaHash, overrides: [] });
 */
export function buildStageRecord(input: {
  stage: string;
  bundleId: string;
  recordedAt: string;
  ledger: readonly AppliedMigration[];
  schemaHash: string | null;
  overrides: readonly StageOverride[];
}): StageRecord {
  const applied = input.ledger
    .filter((row) => row.state === LedgerState.APPLIED)
    .map((row) => ({ id: row.id, checksum: row.checksum, appliedAt: row.appliedAt }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    format: STAGE_RECORD_FORMAT,
    stage: input.stage,
    bundleId: input.bundleId,
    recordedAt: input.recordedAt,
    applied,
    schemaHash: input.schemaHash,
    overrides: input.overrides.slice(-MAX_RECORDED_OVERRIDES),
  };
}

/**
 * Checks parsed JSON against the record format; returns the record, or the
 * problem in words. Unknown fields are ignored (a newer writer of the same
 * format may add some).
 *
 * @example
 * const checked = checkStageRecord(JSON.parse(text), 'staging');
 * if (!checked.ok) throw new StageRecordInvalidError('staging', location, 'wrong-format', checked.problem);
 */
export function checkStageRecord(value: unknown, stage: string): { ok: true; record: StageRecord } | { ok: false; problem: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, problem: 'it is not a JSON object' };
  const v = value as Record<string, unknown>;
  if (v.format !== STAGE_RECORD_FORMAT) return { ok: false, problem: `its format is ${JSON.stringify(v.format)?.slice(0, 20)}; this version reads ${STAGE_RECORD_FORMAT}` };
  if (v.stage !== stage) return { ok: false, problem: `it names stage ${JSON.stringify(v.stage)?.slice(0, 80)}, not ${stage}` };
  for (const key of ['bundleId', 'recordedAt'] as const) {
    if (typeof v[key] !== 'string') return { ok: false, problem: `${key} is not a string` };
  }
  if (v.schemaHash !== null && typeof v.schemaHash !== 'string') return { ok: false, problem: 'schemaHash is neither a string nor null' };
  if (!Array.isArray(v.applied) || !v.applied.every(isEntry)) return { ok: false, problem: 'applied is not a list of {id, checksum, appliedAt}' };
  if (!Array.isArray(v.overrides) || !v.overrides.every(isOverride)) return { ok: false, problem: 'overrides is not a list of {reason, at, bundleId, actor, previousStage, missing}' };
  return {
    ok: true,
    record: {
      format: STAGE_RECORD_FORMAT,
      stage,
      bundleId: v.bundleId as string,
      recordedAt: v.recordedAt as string,
      applied: (v.applied as StageRecordEntry[]).map((e) => ({ id: e.id, checksum: e.checksum, appliedAt: e.appliedAt })),
      schemaHash: v.schemaHash as string | null,
      overrides: v.overrides as StageOverride[],
    },
  };
}

function isEntry(e: unknown): e is StageRecordEntry {
  const x = e as Record<string, unknown> | null;
  return typeof x === 'object' && x !== null && typeof x.id === 'string' && typeof x.checksum === 'string' && typeof x.appliedAt === 'string';
}

function isOverride(o: unknown): o is StageOverride {
  const x = o as Record<string, unknown> | null;
  return (
    typeof x === 'object' &&
    x !== null &&
    ['reason', 'at', 'bundleId', 'actor', 'previousStage'].every((k) => typeof x[k] === 'string') &&
    Array.isArray(x.missing) &&
    x.missing.every((m) => typeof m === 'string')
  );
}
