import { ErrorCode, MigrationRunnerError } from './errors-base';
import { countText, groupedReport } from './report-text';

/** One lint finding, as errors and results carry it. */
export interface LintFindingData {
  rule: string;
  file: string;
  line: number;
  column: number;
  message: string;
  suggestion: string;
}

/** Kinds of problem `stagegate check` reports. Stable, like error codes. */
export const CheckKind = {
  /** The folder does not build into a bundle (conflict, cycle, bad name, ...): `code` is the problem code. */
  BUNDLE: 'bundle',
  /** A lint finding: `code` is the rule id. */
  LINT: 'lint',
  /** A migration with neither a reverse script nor `-- stagegate:irreversible`. */
  REVERSE: 'reverse',
  /** Applying the history to an empty database failed. */
  DATABASE: 'database',
} as const;
export type CheckKind = (typeof CheckKind)[keyof typeof CheckKind];

/** One problem found by `stagegate check`, tied to a file. */
export interface CheckProblem {
  kind: CheckKind;
  /** Problem code (`CONFLICT`), rule id (`drop-column`), `MISSING_REVERSE` or the error code of the failed run. */
  code: string;
  file: string;
  line?: number;
  column?: number;
  message: string;
  suggestion?: string;
}

const filesOf = (items: readonly { file: string }[]): number => new Set(items.map((i) => i.file)).size;

export class LintFailedError extends MigrationRunnerError {
  readonly findings: readonly LintFindingData[];
  constructor(findings: readonly LintFindingData[], details: Record<string, unknown>) {
    const report = groupedReport(findings.map((f) => ({ ...f, tag: f.rule })));
    super(ErrorCode.LINT_FAILED, `Lint found ${countText(findings.length, 'problem', filesOf(findings))}:\n${report}`, {
      remedy:
        'Rewrite each statement in the safer form shown under it. If a finding is safe in this case, add `-- stagegate:allow <rule> <reason>` to the top of that file, saying why.',
      details: { ...details, findings },
    });
    this.name = 'LintFailedError';
    this.findings = findings;
  }
}

export class CheckFailedError extends MigrationRunnerError {
  readonly problems: readonly CheckProblem[];
  constructor(problems: readonly CheckProblem[], details: Record<string, unknown>) {
    const report = groupedReport(problems.map((p) => ({ ...p, tag: p.code })));
    super(ErrorCode.CHECK_FAILED, `The migrations check found ${countText(problems.length, 'problem', filesOf(problems))}:\n${report}`, {
      remedy: 'Fix each problem listed above (the line under each says how) and run `stagegate check` again.',
      details: { ...details, problems },
    });
    this.name = 'CheckFailedError';
    this.problems = problems;
  }
}

export class MigrationExistsError extends MigrationRunnerError {
  constructor(file: string) {
    super(ErrorCode.MIGRATION_EXISTS, `${file} already exists; stagegate new never overwrites a file.`, {
      remedy: 'Pick another name, or edit the existing file if no stage has applied it yet.',
      details: { file },
    });
    this.name = 'MigrationExistsError';
  }
}
