import { ErrorCode, MigrationRunnerError } from './errors-base';

/** Calling a stage's migrate function failed before it could answer with a result or a stagegate error. */
export class LambdaInvokeFailedError extends MigrationRunnerError {
  constructor(functionName: string, reason: string, remedy: string, cause?: unknown) {
    super(ErrorCode.LAMBDA_INVOKE_FAILED, `Invoking the migrate function ${functionName} failed: ${reason}`, {
      remedy,
      details: { function: functionName, reason },
      cause,
    });
    this.name = 'LambdaInvokeFailedError';
  }
}

/** A stagegate error reported by a remote migrate function, rebuilt with its code and details. */
export class RemoteRunError extends MigrationRunnerError {
  constructor(code: ErrorCode, message: string, remedy: string, details: Record<string, unknown>) {
    super(code, message, { remedy, details });
    this.name = 'RemoteRunError';
  }
}
