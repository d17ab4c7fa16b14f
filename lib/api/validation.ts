import { z } from 'zod';
import { validationError, type FieldProblem } from './errors';

/** `GET /organizations` returns this many rows unless `?limit=` says otherwise. */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 100;
export const MAX_NAME_LENGTH = 200;
/** Largest value of a PostgreSQL `bigint`, the type of `organization.id`. */
const MAX_BIGINT = 9_223_372_036_854_775_807n;
/** More problems than this are summarised in one entry: a hostile body must not make a huge answer. */
const MAX_PROBLEMS = 20;
/** Unknown field names are echoed, cut to this length. */
const MAX_FIELD_CHARS = 64;

const limitSchema = z
  .string()
  .regex(/^\d{1,3}$/, `must be a whole number from 1 to ${MAX_LIMIT}`)
  .transform(Number)
  .pipe(z.number().min(1, `must be a whole number from 1 to ${MAX_LIMIT}`).max(MAX_LIMIT, `must be a whole number from 1 to ${MAX_LIMIT}`));

/** `GET /organizations` query: `limit` (1..100, default 50). Other parameters are ignored. */
export const listQuerySchema = z.object({ limit: limitSchema.optional() }).transform((query) => ({ limit: query.limit ?? DEFAULT_LIMIT }));

/** `GET /organizations/{id}` path: a positive `bigint`, kept as text so no precision is lost. */
export const organizationPathSchema = z.object({
  id: z
    .string()
    // abort: the refinement below must never see text BigInt cannot read.
    .regex(/^[1-9]\d{0,18}$/, { error: 'must be a positive whole number', abort: true })
    .refine((id) => BigInt(id) <= MAX_BIGINT, 'is larger than any organization id'),
});

/**
 * `POST /organizations` body. `name` is trimmed; `type`, when given, must be
 * one of the names in `organization_organizationtype` (checked against the
 * table, see `insertOrganization`); null or absent means no type.
 */
export const newOrganizationSchema = z
  .strictObject({
    name: z.string().trim().min(1, 'must not be empty').max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`),
    type: z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters').nullish(),
  })
  .transform((body) => ({ name: body.name, type: body.type ?? null }));
export type NewOrganization = z.output<typeof newOrganizationSchema>;

/** Messages for zod's built-in issues; none repeats the refused value. */
const errorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  if (issue.code === 'invalid_type') return issue.expected === 'object' ? 'must be a JSON object' : `must be a ${issue.expected}`;
  return undefined;
};

function fieldOf(path: readonly PropertyKey[]): string {
  const text = path.length === 0 ? '(body)' : path.map(String).join('.');
  return text.length > MAX_FIELD_CHARS ? `${text.slice(0, MAX_FIELD_CHARS)}…` : text;
}

function problemsOf(issues: readonly z.core.$ZodIssue[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ field: fieldOf([...issue.path, key]), problem: 'is not a known field' });
    } else {
      problems.push({ field: fieldOf(issue.path), problem: issue.message });
    }
  }
  if (problems.length <= MAX_PROBLEMS) return problems;
  return [...problems.slice(0, MAX_PROBLEMS - 1), { field: '(body)', problem: `has ${problems.length - MAX_PROBLEMS + 1} more problems` }];
}

/**
 * Checks input against a schema and returns its typed output, or throws
 * `VALIDATION_FAILED` listing every invalid field.
 *
 * @example
 * const { limit } = parseInput(listQuerySchema, request.query); // 50 when ?limit= is absent
 * parseInput(newOrganizationSchema, { name: '' }); // throws: 'The request is invalid: name must not be empty.'
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value, { error: errorMap });
  if (!parsed.success) throw validationError(problemsOf(parsed.error.issues));
  return parsed.data;
}
