import { ErrorCode, MigrationRunnerError } from './errors-base';
import { driftLines, listLines } from './drift';
import type { SchemaDifference } from './schema';

/**
 * The managed schemas differ from the baseline stored after the last run:
 * something changed them outside migrations. Raised before a run applies
 * anything (setting `fail`), and by `stagegate drift`.
 */
export class DriftDetectedError extends MigrationRunnerError {
  readonly differences: readonly SchemaDifference[];
  constructor(ledgerSchema: string, differences: readonly SchemaDifference[], nothingRun: boolean) {
    const n = differences.length;
    super(
      ErrorCode.DRIFT_DETECTED,
      `The database drifted from the schema recorded in ledger "${ledgerSchema}" after its last run: ${n} object${n === 1 ? '' : 's'} changed outside migrations:\n${driftLines(differences).join('\n')}`,
      {
        remedy: `If the change was intended, write a migration for it (or \`stagegate drift --accept --reason "…"\` to make the live schema the baseline); if a pending migration makes these objects, \`stagegate adopt <id>\` records it once they are proven to match; otherwise undo it on this stage.${nothingRun ? ' Nothing was run.' : ''}`,
        details: { ledgerSchema, differences },
      },
    );
    this.name = 'DriftDetectedError';
    this.differences = differences;
  }
}

/**
 * `stagegate adopt` would not record a migration as applied: it is not
 * pending, its dependencies are not applied, or the live objects are not
 * what it would produce. Nothing was written.
 */
export class AdoptRefusedError extends MigrationRunnerError {
  constructor(id: string, problem: string, options: { remedy: string; lines?: readonly string[]; details?: Record<string, unknown> }) {
    const list = options.lines && options.lines.length > 0 ? `\n${listLines(options.lines).join('\n')}` : '';
    super(ErrorCode.ADOPT_REFUSED, `stagegate adopt refused ${id}: ${problem}${list}`, {
      remedy: `${options.remedy} Nothing was written.`,
      details: { migration: id, ...options.details },
    });
    this.name = 'AdoptRefusedError';
  }
}
