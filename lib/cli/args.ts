import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../core/errors';
import { isMigrationId } from '../core/migration';
import { isTarget } from '../core/target';

/** The commands and the options each accepts. */
const REMOTE = ['stage', 'function', 'bucket', 'prefix', 'region'] as const;

export const COMMANDS = {
  bundle: ['dir', 'out', 'json', 'verbose'],
  publish: ['dir', 'bundle', 'bucket', 'prefix', 'region', 'json', 'verbose'],
  plan: ['dir', 'bundle', 'database-url', 'schema', 'to', 'rehearse', 'lock-wait', 'lock-timeout', 'statement-timeout', ...REMOTE, 'json', 'verbose'],
  migrate: ['dir', 'bundle', 'database-url', 'schema', 'lock-wait', 'lock-timeout', 'statement-timeout', 'drift', 'to', ...REMOTE, 'override-stage-order', 'reason', 'json', 'verbose'],
  status: ['dir', 'bundle', 'database-url', 'schema', ...REMOTE, 'all-stages', 'html', 'json', 'verbose'],
  resolve: ['database-url', 'schema', 'lock-wait', 'applied', 'rolled-back', 'reason', 'stage', 'function', 'region', 'json', 'verbose'],
  drift: ['dir', 'bundle', 'database-url', 'schema', 'lock-wait', 'accept', 'reason', ...REMOTE, 'json', 'verbose'],
  adopt: ['dir', 'bundle', 'database-url', 'schema', 'lock-wait', 'lock-timeout', 'statement-timeout', 'force', 'reason', ...REMOTE, 'json', 'verbose'],
  new: ['dir', 'depends-on', 'json', 'verbose'],
  lint: ['dir', 'json', 'verbose'],
  check: ['dir', 'database-url', 'json', 'verbose'],
  squash: ['dir', 'database-url', 'schema', 'from', 'to', 'with-data', 'prune', 'force', 'reason', 'bucket', 'prefix', 'region', 'json', 'verbose'],
} as const;
export type Command = keyof typeof COMMANDS;

const OPTIONS = {
  dir: { type: 'string' },
  out: { type: 'string' },
  bundle: { type: 'string' },
  'database-url': { type: 'string' },
  schema: { type: 'string' },
  'lock-wait': { type: 'string' },
  'lock-timeout': { type: 'string' },
  'statement-timeout': { type: 'string' },
  applied: { type: 'boolean' },
  'rolled-back': { type: 'boolean' },
  drift: { type: 'string' },
  accept: { type: 'boolean' },
  force: { type: 'boolean' },
  rehearse: { type: 'boolean' },
  from: { type: 'string' },
  'with-data': { type: 'boolean' },
  prune: { type: 'boolean' },
  stage: { type: 'string' },
  function: { type: 'string' },
  bucket: { type: 'string' },
  prefix: { type: 'string' },
  region: { type: 'string' },
  to: { type: 'string' },
  'override-stage-order': { type: 'boolean' },
  reason: { type: 'string' },
  'all-stages': { type: 'boolean' },
  html: { type: 'string' },
  'depends-on': { type: 'string', multiple: true },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
} as const;

export interface ParsedArgs {
  command: Command | 'help' | 'version';
  positionals: string[];
  options: Partial<Record<keyof typeof OPTIONS, string | boolean | string[]>>;
}

/**
 * Whether `name` is one of the {@link COMMANDS}: an own key, so `constructor`
 * or `toString` is an unknown command like any other.
 *
 * @example
 * isCommand('migrate'); // → true
 */
export function isCommand(name: string | undefined): name is Command {
  return name !== undefined && Object.hasOwn(COMMANDS, name);
}

/** The folder of migrations a command reads when `--dir` is not given, relative to the working directory. */
export const DEFAULT_MIGRATIONS_DIR = 'migrations';

/**
 * The absolute path of the migrations folder a command names: `--dir`, else
 * {@link DEFAULT_MIGRATIONS_DIR}, resolved against `cwd`.
 *
 * @example
 * migrationsDir(parseCommandLine(['lint']), '/srv/api'); // → '/srv/api/migrations'
 */
export function migrationsDir(args: ParsedArgs, cwd: string): string {
  return resolve(cwd, typeof args.options.dir === 'string' ? args.options.dir : DEFAULT_MIGRATIONS_DIR);
}

/**
 * Parses `stagegate <command> [options]`. Unknown commands or options, an
 * option the command does not take, or a missing value are usage errors.
 *
 * @example
 * parseCommandLine(['migrate', '--dir', 'migrations', '--json']);
 */
export function parseCommandLine(argv: readonly string[]): ParsedArgs {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') return { command: 'help', positionals: [], options: {} };
  // `help <command>` and `<command> --help` show that command's help.
  if (first === 'help') {
    const named = rest.find((arg) => !arg.startsWith('-'));
    if (named !== undefined && !isCommand(named)) throw new UsageError(`stagegate help: unknown command "${named.slice(0, 40)}".`);
    return { command: 'help', positionals: named === undefined ? [] : [named], options: {} };
  }
  if (first === '--version' || first === 'version') return { command: 'version', positionals: [], options: {} };
  if (first.startsWith('-')) throw new UsageError(`Unknown command "${first.slice(0, 40)}": the command comes first, then its options (stagegate migrate --json).`);
  if (!isCommand(first)) throw new UsageError(`Unknown command "${first.slice(0, 40)}".`);
  const command = first as Command;
  if (rest.includes('--help') || rest.includes('-h')) return { command: 'help', positionals: [command], options: {} };
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true; args: string[] }>>;
  const optionsOf = `Run \`stagegate help ${command}\` for the options it takes.`;
  try {
    parsed = parseArgs({ args: [...rest], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // Node's advice on an unknown option is about positionals that start with '-', not about a mistyped option.
    const unknown = /^Unknown option '([^']{1,60})'/.exec((error as Error).message);
    if (unknown) throw new UsageError(`stagegate ${command} does not take ${unknown[1]}.`, optionsOf);
    // `--to --json`: Node takes the option that follows for a value only in its second line; an empty `$VAR` in a script does this.
    const ambiguous = /^Option '(--[a-z-]{1,40})' argument is ambiguous/.exec((error as Error).message);
    if (ambiguous) {
      throw new UsageError(
        `stagegate ${command}: ${ambiguous[1]} needs a value, and what follows it is another option.`,
        `Give the value right after ${ambiguous[1]} (one that starts with a dash goes as ${ambiguous[1]}=-value); in a script, check that the variable holding it is not empty. ${optionsOf}`,
      );
    }
    // Node's message quotes the offending argument, whatever its length.
    const message = (error as Error).message.split('\n')[0] ?? '';
    throw new UsageError(`stagegate ${command}: ${message.length > 200 ? `${message.slice(0, 200)}…` : message}`, optionsOf);
  }
  const allowed: readonly string[] = COMMANDS[command];
  for (const name of Object.keys(parsed.values)) {
    if (!allowed.includes(name)) throw new UsageError(`stagegate ${command} does not take --${name}.`, optionsOf);
  }
  checkPositionals(command, parsed.positionals);
  // squash --to takes a number (checked with the range).
  if (typeof parsed.values.to === 'string' && command !== 'squash' && !isTarget(parsed.values.to)) {
    throw new UsageError(`stagegate ${command} --to needs a migration id <app>/<NNNN>_<name>, <app>/zero or zero; got "${parsed.values.to.slice(0, 60)}".`);
  }
  if (parsed.values.dir !== undefined && parsed.values.bundle !== undefined) {
    throw new UsageError(`stagegate ${command}: give either --dir or --bundle, not both.`);
  }
  if (command === 'plan' && parsed.values.rehearse !== true) {
    const timeout = ['lock-wait', 'lock-timeout', 'statement-timeout'].find((name) => name in parsed.values);
    if (timeout) throw new UsageError(`stagegate plan: --${timeout} goes with --rehearse (a plain plan runs no migration).`);
  }
  if (parsed.values.rehearse === true && parsed.values.to !== undefined) {
    throw new UsageError('stagegate plan: --rehearse cannot be combined with --to; a rehearsal runs the pending migrations (use `plan --to` to see a plan to a target).');
  }
  checkStageOptions(command, parsed.values);
  if (parsed.values.stage !== undefined) {
    const local = ['database-url', 'schema', 'lock-wait', 'lock-timeout', 'statement-timeout', 'drift'].filter((name) => name in parsed.values);
    if (local.length > 0) throw new UsageError(`stagegate ${command} --stage runs on the stage's own function; --${local[0]} does not apply (the function's configuration does).`);
  } else {
    // Only where --stage is an option: publish and squash take --region for S3 alone.
    const remote = allowed.includes('stage') ? ['function', 'region'].filter((name) => name in parsed.values) : [];
    if (remote.length > 0 && parsed.values['all-stages'] === undefined) throw new UsageError(`stagegate ${command}: --${remote[0]} goes with --stage.`);
  }
  return { command, positionals: parsed.positionals, options: parsed.values };
}

/** `--override-stage-order` runs on a stage; `--all-stages` reads every stage's record and no database. */
function checkStageOptions(command: Command, values: Record<string, unknown>): void {
  // `drift --accept`, `adopt --force` and `squash --prune --force` take a --reason of their own, locally too.
  const stageReason = command === 'migrate' && values.reason !== undefined;
  if ((values['override-stage-order'] !== undefined || stageReason) && values.stage === undefined) {
    throw new UsageError(`stagegate ${command}: --override-stage-order and --reason go with --stage (a local run has no stage order).`);
  }
  if (values.html !== undefined && values['all-stages'] === undefined) throw new UsageError(`stagegate ${command}: --html goes with --all-stages.`);
  if (values['all-stages'] === undefined) return;
  const local = ['stage', 'function', 'database-url', 'schema'].filter((name) => name in values);
  if (local.length > 0) throw new UsageError(`stagegate status --all-stages reads every stage's record from S3; --${local[0]} does not apply.`);
}

function checkPositionals(command: Command, positionals: string[]): void {
  const expected = command === 'resolve' || command === 'squash' || command === 'adopt' ? 1 : command === 'new' ? 2 : 0;
  const id = positionals[0];
  // Refused before any database is reached, so an unreachable one cannot hide the usage error.
  if (positionals.length === 1 && (command === 'resolve' || command === 'adopt') && id !== undefined && !isMigrationId(id)) {
    throw new UsageError(`stagegate ${command}: "${id.slice(0, 80)}" is not a migration id (expected app/NNNN_name).`);
  }
  if (positionals.length === expected) return;
  if (command === 'new') throw new UsageError('stagegate new needs an app and a name: stagegate new <app> <name> [--depends-on ID ...]');
  if (command === 'resolve') throw new UsageError('stagegate resolve needs exactly one migration id: stagegate resolve <app/NNNN_name> --applied|--rolled-back');
  if (command === 'squash') throw new UsageError('stagegate squash needs exactly one app: stagegate squash <app> [--from NNNN] --to NNNN, or stagegate squash <app> --prune');
  if (command === 'adopt') throw new UsageError('stagegate adopt needs exactly one migration id: stagegate adopt <app/NNNN_name> [--force --reason TEXT]');
  throw new UsageError(`stagegate ${command} takes no arguments; got "${(positionals[0] ?? '').slice(0, 40)}".`);
}
