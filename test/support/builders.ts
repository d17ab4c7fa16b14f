import { checksumOf, normaliseSql } from '../../lib/core/checksum';
import type { Migration } from '../../lib/core/migration';
import { splitStatements } from '../../lib/core/sql-split';
import type { ApplyRequest, RecordRequest } from '../../lib/ports';

export interface MigrationSpec {
  /** `app/NNNN_name`. */
  id: string;
  sql: string;
  noTransaction?: boolean;
  downSql?: string | null;
  dependencies?: string[];
}

/**
 * A `Migration` as the bundle would hold it: `file` is `<id>.sql`, the
 * checksum is computed from `sql`.
 *
 * @example
 * migration({ id: 'app/0001_init', sql: 'create table t (id int);' });
 */
export function migration(spec: MigrationSpec): Migration {
  const [app = '', rest = ''] = spec.id.split('/');
  const [, number = '', name = ''] = /^([0-9]+)_(.*)$/.exec(rest) ?? [];
  return {
    id: spec.id,
    app,
    number,
    name,
    file: `${spec.id}.sql`,
    sql: spec.sql,
    downSql: spec.downSql ?? null,
    checksum: checksumOf(spec.sql),
    directives: {
      dependsOn: [],
      replaces: [],
      noTransaction: spec.noTransaction ?? false,
      irreversible: false,
      allow: [],
    },
    dependencies: spec.dependencies ?? [],
  };
}

/** Fields of a request that are the same for every migration of a test. */
export interface RequestContext {
  bundleId?: string;
  runId?: number;
  appliedBy?: string;
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
}

/** An `ApplyRequest` for `m`, with its statements split the way the engine splits them. */
export function applyRequest(m: Migration, context: RequestContext = {}): ApplyRequest {
  return {
    migration: m,
    statements: splitStatements(normaliseSql(m.sql)),
    bundleId: context.bundleId ?? 'bundle-test',
    runId: context.runId ?? 1,
    appliedBy: context.appliedBy ?? 'tester@ci',
    lockTimeoutMs: context.lockTimeoutMs ?? 0,
    statementTimeoutMs: context.statementTimeoutMs ?? 0,
  };
}

/** A `RecordRequest` for `m`. */
export function recordRequest(m: Migration, context: RequestContext = {}): RecordRequest {
  return {
    migration: m,
    bundleId: context.bundleId ?? 'bundle-test',
    runId: context.runId ?? 1,
    appliedBy: context.appliedBy ?? 'tester@ci',
  };
}
