/**
 * The stage matrix: every migration of a bundle against every stage's
 * record, and whether the stages' schema fingerprints agree. Pure; the
 * records come from the caller, and the result is plain JSON.
 */
import type { StageRecord } from './stage-record';

/** The state of one migration on one stage. */
export const CellState = {
  APPLIED: 'applied',
  PENDING: 'pending',
  /** Applied on the stage, with another checksum than this bundle's file. */
  CHECKSUM_DIFFERS: 'checksum-differs',
  /** Applied on the stage, unknown to this bundle. */
  UNKNOWN: 'unknown',
  /** A migration unknown to this bundle that this stage has not applied either. */
  ABSENT: 'absent',
  /** The stage has never recorded a run. */
  NO_RECORD: 'no-record',
} as const;
export type CellState = (typeof CellState)[keyof typeof CellState];

export interface MatrixCell {
  state: CellState;
  /** When the stage applied it; null unless applied there. */
  appliedAt: string | null;
}

export interface MatrixRow {
  id: string;
  /** False for a migration only stage records know (listed after the bundle's). */
  inBundle: boolean;
  /** One cell per stage, in stage order. */
  cells: Record<string, MatrixCell>;
}

export interface MatrixStage {
  stage: string;
  recorded: boolean;
  bundleId: string | null;
  recordedAt: string | null;
  schemaHash: string | null;
  overrides: number;
}

export interface StageMatrix {
  stages: MatrixStage[];
  rows: MatrixRow[];
  fingerprints: {
    /** True when every stage has a record with a fingerprint, and all are equal. */
    agree: boolean;
    /** Stages grouped by fingerprint, largest group first; `schemaHash` null for stages without one. */
    groups: { schemaHash: string | null; stages: string[] }[];
  };
}

/**
 * Builds the matrix: the bundle's migrations in id order, then every id a
 * record has and the bundle lacks, in id order.
 *
 * @example
 * const matrix = buildStageMatrix(bundle.migrations, ['dev', 'staging'], { dev: devRecord, staging: null });
 * matrix.rows[0].cells.staging.state; // 'no-record'
 */
export function buildStageMatrix(
  migrations: readonly { id: string; checksum: string }[],
  stages: readonly string[],
  records: Readonly<Record<string, StageRecord | null>>,
): StageMatrix {
  const applied = new Map(stages.map((stage) => [stage, new Map((records[stage]?.applied ?? []).map((e) => [e.id, e]))]));
  const known = new Set(migrations.map((m) => m.id));
  const extra = [...new Set(stages.flatMap((stage) => records[stage]?.applied.map((e) => e.id) ?? []))].filter((id) => !known.has(id)).sort();
  const cellOf = (stage: string, id: string, checksum: string | null): MatrixCell => {
    if (!records[stage]) return { state: CellState.NO_RECORD, appliedAt: null };
    const entry = applied.get(stage)?.get(id);
    if (!entry) return { state: checksum === null ? CellState.ABSENT : CellState.PENDING, appliedAt: null };
    if (checksum === null) return { state: CellState.UNKNOWN, appliedAt: entry.appliedAt };
    return { state: entry.checksum === checksum ? CellState.APPLIED : CellState.CHECKSUM_DIFFERS, appliedAt: entry.appliedAt };
  };
  const row = (id: string, checksum: string | null): MatrixRow => ({
    id,
    inBundle: checksum !== null,
    cells: Object.fromEntries(stages.map((stage) => [stage, cellOf(stage, id, checksum)])),
  });
  return {
    stages: stages.map((stage) => stageSummary(stage, records[stage] ?? null)),
    rows: [...[...migrations].sort((a, b) => (a.id < b.id ? -1 : 1)).map((m) => row(m.id, m.checksum)), ...extra.map((id) => row(id, null))],
    fingerprints: fingerprints(stages, records),
  };
}

function stageSummary(stage: string, record: StageRecord | null): MatrixStage {
  return {
    stage,
    recorded: record !== null,
    bundleId: record?.bundleId ?? null,
    recordedAt: record?.recordedAt ?? null,
    schemaHash: record?.schemaHash ?? null,
    overrides: record?.overrides.length ?? 0,
  };
}

function fingerprints(stages: readonly string[], records: Readonly<Record<string, StageRecord | null>>): StageMatrix['fingerprints'] {
  const groups = new Map<string | null, string[]>();
  for (const stage of stages) {
    const hash = records[stage]?.schemaHash ?? null;
    groups.set(hash, [...(groups.get(hash) ?? []), stage]);
  }
  const list = [...groups].map(([schemaHash, members]) => ({ schemaHash, stages: members })).sort((a, b) => b.stages.length - a.stages.length);
  const agree = stages.length > 0 && list.length === 1 && list[0]?.schemaHash !== null;
  return { agree, groups: list };
}
