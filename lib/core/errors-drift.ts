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
  /**
   * `makers`: the pending migrations that make objects found added (see
   * `pendingMakersOf`); the remedy names adopting each of them.
   */
  constructor(ledgerSchema: string, differences: readonly SchemaDifference[], nothingRun: boolean, makers: readonly string[] = []) {
    const n = differences.length;
    const adopt =
      makers.length > 0
        ? `pending migration ${makers.join(', ')} makes ${n === 1 ? 'it' : 'some of them'}: ${makers.map((id) => `\`stagegate adopt ${id}\``).join(', then ')} records ${makers.length === 1 ? 'it' : 'each'} as applied once the objects are proven to be what it makes`
        : 'if a pending migration makes these objects, `stagegate adopt <id>` records it once they are proven to match';
    super(
      ErrorCode.DRIFT_DETECTED,
      `The database drifted from the schema recorded in ledger "${ledgerSchema}" after its last run: ${n} object${n === 1 ? '' : 's'} changed outside migrations:\n${driftLines(differences).join('\n')}`,
      {
        remedy: `If the change was intended, write a migration for it (or \`stagegate drift --accept --reason "…"\` to make the live schema the baseline); ${adopt}; otherwise undo it on this stage.${nothingRun ? ' Nothing was run.' : ''}`,
        details: { ledgerSchema, differences, ...(makers.length > 0 ? { makers } : {}) },
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
