/**
 * The text form of an error that crosses a process boundary (a Lambda
 * `errorMessage`): written by the migrate function, read back by the CLI and
 * the deploy hook, so both sides share this one definition.
 */
import { asRunnerError, type ErrorCode } from './errors';

/** Upper limit on `errorMessage`, in UTF-8 bytes: small enough for any log line or terminal. */
export const MAX_ERROR_MESSAGE_BYTES = 4096;
const MAX_MESSAGE_BYTES = 1536;
const MAX_REMEDY_CHARS = 1000;
const REMEDY_PREFIX = 'what to do: ';
const DETAILS_PREFIX = 'details: ';
/** Ever smaller caps on lists and strings in the details, tried in turn until the message fits. */
const SHRINK_STEPS = [
  { items: 50, chars: 500 },
  { items: 20, chars: 200 },
  { items: 5, chars: 100 },
  { items: 1, chars: 60 },
  { items: 0, chars: 40 },
];

/**
 * The `errorMessage` of a failed invocation, in three parts, each starting
 * on a new line:
 *
 * ```
 * <message: one or more lines>
 * what to do: <remedy, one line>
 * details: <{"code": <the error code>, …the error's details} as one line of compact JSON>
 * ```
 *
 * Callers rebuild the error from it: the last line starts with `details: `
 * and is a JSON object whose `code` repeats `errorType` (so the code
 * survives an emulator that reports every `errorType` as `Error`), the line
 * before it starts with `what to do: ` and is the remedy, and every line
 * before that is the message.
 * No message line starts with either prefix (such a line is indented by two
 * spaces). The whole text stays under {@link MAX_ERROR_MESSAGE_BYTES} bytes:
 * long lists and strings in the details are cut (a list `x` that was cut
 * gains a sibling `xOmitted` with the number of items left out), and a long
 * message loses its last lines. The full error is in the function's log and,
 * for a run that started, in the ledger's `runs` table. Errors never carry
 * secrets, so neither does this text.
 *
 * @example
 * formatInvocationErrorMessage(error);
 * // 'Migration app/0002_x failed at app/0002_x.sql:3: relation "t" does not exist [SQLSTATE 42P01]\n' +
 * // 'what to do: The migration was rolled back…\n' +
 * // 'details: {"code":"MIGRATION_FAILED","migration":"app/0002_x","file":"app/0002_x.sql","line":3,…}'
 */
export function formatInvocationErrorMessage(error: unknown): string {
  const failure = asRunnerError(error);
  const message = limitMessage(failure.message);
  const remedy = `${REMEDY_PREFIX}${oneLine(failure.remedy).slice(0, MAX_REMEDY_CHARS)}`;
  const budget = MAX_ERROR_MESSAGE_BYTES - bytes(message) - bytes(remedy) - DETAILS_PREFIX.length - 2;
  return `${message}\n${remedy}\n${DETAILS_PREFIX}${detailsWithin(failure.code, failure.details, budget)}`;
}

/** The parts of an `errorMessage`; `code` is null when the text is not in the stagegate form. */
export interface InvocationErrorParts {
  code: string | null;
  message: string;
  remedy: string;
  details: Record<string, unknown>;
}

/**
 * Reads an `errorMessage` written by {@link formatInvocationErrorMessage}.
 * Text in another form (e.g. a timeout reported by Lambda itself) comes back
 * whole as the message, with a null code, an empty remedy and no details.
 *
 * @example
 * const { code, message, remedy, details } = parseInvocationErrorMessage(payload.errorMessage);
 */
export function parseInvocationErrorMessage(text: string): InvocationErrorParts {
  const lines = text.split('\n');
  const detailsLine = lines[lines.length - 1] ?? '';
  const remedyLine = lines[lines.length - 2] ?? '';
  const json = lines.length >= 3 && remedyLine.startsWith(REMEDY_PREFIX) && detailsLine.startsWith(DETAILS_PREFIX) ? jsonObject(detailsLine.slice(DETAILS_PREFIX.length)) : null;
  if (json === null) return { code: null, message: text, remedy: '', details: {} };
  const { code, ...details } = json;
  return {
    code: typeof code === 'string' ? code : null,
    message: lines.slice(0, -2).join('\n'),
    remedy: remedyLine.slice(REMEDY_PREFIX.length),
    details,
  };
}

function jsonObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/** The message, its reserved-looking lines indented, cut at a line boundary when too long. */
function limitMessage(message: string): string {
  const lines = message.split('\n').map((line) => (line.startsWith(REMEDY_PREFIX) || line.startsWith(DETAILS_PREFIX) ? `  ${line}` : line));
  const kept: string[] = [];
  let size = 0;
  for (const [index, line] of lines.entries()) {
    const cut = line.length > MAX_MESSAGE_BYTES / 2 ? `${line.slice(0, MAX_MESSAGE_BYTES / 2)}…` : line;
    if (size + bytes(cut) + 1 > MAX_MESSAGE_BYTES - 40) {
      kept.push(`  … ${lines.length - index} more line(s)`);
      break;
    }
    kept.push(cut);
    size += bytes(cut) + 1;
  }
  return kept.join('\n');
}

/** The code and details as compact JSON, the details cut down step by step until they fit `budget` bytes. */
function detailsWithin(code: ErrorCode, details: Record<string, unknown>, budget: number): string {
  const full = compactJson({ code, ...details });
  if (bytes(full) <= budget) return full;
  for (const step of SHRINK_STEPS) {
    const text = compactJson({ code, ...(shrink(details, step.items, step.chars) as Record<string, unknown>) });
    if (bytes(text) <= budget) return text;
  }
  return compactJson({ code, omitted: Object.keys(details).slice(0, 20) });
}

function compactJson(value: Record<string, unknown>): string {
  try {
    return JSON.stringify(value);
  } catch {
    // A value JSON cannot hold (a cycle, a bigint) must not hide the error itself.
    return JSON.stringify({ code: value.code });
  }
}

function shrink(value: unknown, items: number, chars: number): unknown {
  if (typeof value === 'string') return value.length > chars ? `${value.slice(0, chars)}…` : value;
  if (Array.isArray(value)) return value.slice(0, items).map((item) => shrink(item, items, chars));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = shrink(child, items, chars);
    if (Array.isArray(child) && child.length > items) out[`${key}Omitted`] = child.length - items;
  }
  return out;
}
