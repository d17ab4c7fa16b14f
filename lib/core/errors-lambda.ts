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
        'Send {"action": "plan" | "migrate" | "status" | "drift", "bundle": {"bucket", "key", "sha256"}}, or {"action": "resolve", "id", "outcome": "applied" | "rolled-back", "reason"?} with no bundle, and nothing else (stagegate --stage and the deploy hook do); nothing was run.',
      details: { problems },
    });
    this.name = 'EventInvalidError';
    this.problems = problems;
  }
}

/** Where the migrate function takes its database credentials from, for messages (never a value). */
export type CredentialOrigin = { kind: 'secret'; secretArn: string } | { kind: 'iam'; target: string };

/**
 * The database credentials could not be obtained: the Secrets Manager secret
 * could not be read or does not hold usable RDS credentials, or no RDS IAM
 * token could be signed. The message names the secret's ARN (not secret) and
 * never any value from it.
 *
 * @example
 * throw new CredentialsUnavailableError({ kind: 'secret', secretArn: arn }, 'ResourceNotFoundException: Secrets Manager can\'t find the specified secret.');
 */
export class CredentialsUnavailableError extends MigrationRunnerError {
  constructor(origin: CredentialOrigin, reason: string, cause?: unknown) {
    const from = origin.kind === 'secret' ? `the secret ${origin.secretArn}` : `an RDS IAM token for ${origin.target}`;
    super(ErrorCode.CREDENTIALS_UNAVAILABLE, `The database credentials could not be obtained from ${from}: ${reason}`, {
      remedy:
        origin.kind === 'secret'
          ? 'Check that the secret exists in that region, that the function\'s role may call secretsmanager:GetSecretValue on it (and kms:Decrypt on its key), and that it holds RDS credentials as JSON {"username", "password", "host", "port", "dbname"}; nothing was run.'
          : 'Check that the function has AWS credentials (its execution role) and that AWS_REGION, DB_HOST, DB_PORT and DB_USER are right; the role also needs rds-db:connect for this user; nothing was run.',
      details: origin.kind === 'secret' ? { secretArn: origin.secretArn, reason } : { target: origin.target, reason },
      cause,
    });
    this.name = 'CredentialsUnavailableError';
  }
}
