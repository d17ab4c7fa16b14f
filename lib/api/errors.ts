/**
 * The errors the example API answers with. Each code has one HTTP status;
 * the body is `{ "error": { "code", "message", "fields"? } }`. Codes are part
 * of the API: clients branch on them, so never rename one.
 */
export const ApiErrorCode = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  INVALID_JSON: 'INVALID_JSON',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  INTERNAL: 'INTERNAL',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

/** The HTTP status of each code. */
export const STATUS_OF: Readonly<Record<ApiErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
};

/** One invalid input: where it is (`name`, `limit`, `id`, `(body)`) and what is wrong, never its value. */
export interface FieldProblem {
  field: string;
  problem: string;
}

export interface ApiErrorOptions {
  /** Each invalid input, for `VALIDATION_FAILED`. */
  fields?: readonly FieldProblem[];
  /** Response headers, e.g. `allow` for `METHOD_NOT_ALLOWED`. */
  headers?: Readonly<Record<string, string>>;
  cause?: unknown;
}

/**
 * An answer other than success. The message is written for the client and
 * never holds SQL, a stack or a connection detail; the cause (for logs only)
 * may.
 *
 * @example
 * throw new ApiError(ApiErrorCode.NOT_FOUND, 'Organization 42 does not exist.');
 */
export class ApiError extends Error {
  readonly status: number;
  readonly fields: readonly FieldProblem[];
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.status = STATUS_OF[code];
    this.fields = options.fields ?? [];
    this.headers = options.headers ?? {};
  }
}

/**
 * A `VALIDATION_FAILED` error whose message names every field.
 *
 * @example
 * throw validationError([{ field: 'name', problem: 'must not be empty' }]);
 * // message: 'The request is invalid: name must not be empty.'
 */
export function validationError(fields: readonly FieldProblem[]): ApiError {
  const list = fields.map((f) => `${f.field} ${f.problem}`).join('; ');
  return new ApiError(ApiErrorCode.VALIDATION_FAILED, `The request is invalid: ${list}.`, { fields });
}
