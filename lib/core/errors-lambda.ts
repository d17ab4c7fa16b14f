import { ErrorCode, MigrationRunnerError } from './errors-base';

/** One problem in an invocation event, with the path of the field. */
export interface EventProblem {
  field: string;
  problem: string;
}

/** The migrate function received an event it does not accept. */
export class EventInvalidError extends MigrationRunnerError {
  readonly problems: readonly EventProblem[];
  constructor(problems: readonly EventProblem[]) {
    const lines = problems.map((p) => `  - ${p.field}: ${p.problem}`).join('\n');
    super(ErrorCode.EVENT_INVALID, `The invocation event is invalid:\n${lines}`, {
      remedy:
        'Send {"action": "plan" | "migrate" | "status", "bundle": {"bucket", "key", "sha256"}} and nothing else (stagegate --stage and the deploy hook do); nothing was run.',
      details: { problems },
    });
    this.name = 'EventInvalidError';
    this.problems = problems;
  }
}
