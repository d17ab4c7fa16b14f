import { parseArgs } from 'node:util';
import { UsageError } from '../core/errors';

/** The commands and the options each accepts. */
const REMOTE = ['stage', 'function', 'bucket', 'prefix', 'region'] as const;

export const COMMANDS = {
  bundle: ['dir', 'out', 'json', 'verbose'],
  publish: ['dir', 'bundle', 'bucket', 'prefix', 'region', 'json', 'verbose'],
  plan: ['dir', 'bundle', 'database-url', 'schema', ...REMOTE, 'json', 'verbose'],
  migrate: ['dir', 'bundle', 'database-url', 'schema', 'lock-wait', 'lock-timeout', 'statement-timeout', 'drift', ...REMOTE, 'json', 'verbose'],
  status: ['dir', 'bundle', 'database-url', 'schema', ...REMOTE, 'json', 'verbose'],
  resolve: ['database-url', 'schema', 'lock-wait', 'applied', 'rolled-back', 'json', 'verbose'],
  drift: ['dir', 'bundle', 'database-url', 'schema', 'lock-wait', 'accept', 'reason', ...REMOTE, 'json', 'verbose'],
  adopt: ['dir', 'bundle', 'database-url', 'schema', 'lock-wait', 'lock-timeout', 'statement-timeout', 'force', 'reason', 'json', 'verbose'],
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
  reason: { type: 'string' },
  stage: { type: 'string' },
  function: { type: 'string' },
  bucket: { type: 'string' },
  prefix: { type: 'string' },
  region: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
} as const;

export interface ParsedArgs {
  command: Command | 'help' | 'version';
  positionals: string[];
  options: Partial<Record<keyof typeof OPTIONS, string | boolean>>;
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
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') return { command: 'help', positionals: [], options: {} };
  if (first === '--version' || first === 'version') return { command: 'version', positionals: [], options: {} };
  if (!(first in COMMANDS)) throw new UsageError(`Unknown command "${first.slice(0, 40)}".`);
  const command = first as Command;
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true; args: string[] }>>;
  try {
    parsed = parseArgs({ args: [...rest], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // Node's message quotes the offending argument, whatever its length.
    const message = (error as Error).message.split('\n')[0] ?? '';
    throw new UsageError(`stagegate ${command}: ${message.length > 200 ? `${message.slice(0, 200)}…` : message}`);
  }
  const allowed: readonly string[] = COMMANDS[command];
  for (const name of Object.keys(parsed.values)) {
    if (!allowed.includes(name)) throw new UsageError(`stagegate ${command} does not take --${name}.`);
  }
  checkPositionals(command, parsed.positionals);
  if (parsed.values.dir !== undefined && parsed.values.bundle !== undefined) {
    throw new UsageError(`stagegate ${command}: give either --dir or --bundle, not both.`);
  }
  if (parsed.values.stage !== undefined) {
    const local = ['database-url', 'schema', 'lock-wait', 'lock-timeout', 'statement-timeout', 'drift'].filter((name) => name in parsed.values);
    if (local.length > 0) throw new UsageError(`stagegate ${command} --stage runs on the stage's own function; --${local[0]} does not apply (the function's configuration does).`);
  } else {
    const remote = ['function', 'region'].filter((name) => name in parsed.values);
    if (remote.length > 0 && command !== 'publish') throw new UsageError(`stagegate ${command}: --${remote[0]} goes with --stage.`);
  }
  return { command, positionals: parsed.positionals, options: parsed.values };
}

function checkPositionals(command: Command, positionals: string[]): void {
  const expected = command === 'resolve' || command === 'adopt' ? 1 : 0;
  if (positionals.length === expected) return;
  if (command === 'resolve') throw new UsageError('stagegate resolve needs exactly one migration id: stagegate resolve <app/NNNN_name> --applied|--rolled-back');
  if (command === 'adopt') throw new UsageError('stagegate adopt needs exactly one migration id: stagegate adopt <app/NNNN_name> [--force --reason TEXT]');
  throw new UsageError(`stagegate ${command} takes no arguments; got "${(positionals[0] ?? '').slice(0, 40)}".`);
}
