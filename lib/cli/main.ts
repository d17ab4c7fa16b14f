import { asRunnerError, ErrorCode, InterruptedError, signalOf } from '../core/errors';
import { isCommand, parseCommandLine, type Command, type ParsedArgs } from './args';
import { commandHelp } from './command-help';
import { runCommand } from './commands';
import { describeResolve } from './resolve-choice';
import { ConsoleLogger, type Writer } from './console-logger';
import { HELP } from './help';
import { exitCodeOf, StopMode, stopModeOf, stopNotice } from './interrupt';
import { renderError, renderResult } from './render';
import { styleFor } from './style';
import type { RunResult } from '../core/result';
import { version } from '../../package.json';

/** Everything the CLI touches, so it can run in-process in tests. */
export interface CliIo {
  argv: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  stdout: Writer & { isTTY?: boolean };
  stderr: Writer & { isTTY?: boolean };
  /** Aborted (with the signal's name) by the first Ctrl-C or SIGTERM: the command stops at a safe point. */
  stop?: AbortSignal;
}

/**
 * Runs the CLI and returns its exit code: 0 success, 1 a failure with an
 * error code, 2 bad usage. With `--json`, stdout carries exactly one JSON
 * object and progress goes to stderr.
 *
 * @example
 * process.exitCode = await runCli({ argv: process.argv.slice(2), env: process.env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr });
 */
export async function runCli(io: CliIo): Promise<number> {
  let args: ParsedArgs | null = null;
  // `--json=…` is refused as usage, and that refusal is JSON too.
  const wantsJson = io.argv.some((arg) => arg === '--json' || arg.startsWith('--json='));
  try {
    args = parseCommandLine(io.argv);
    if (args.command === 'help' || args.command === 'version') return writeInfo(io.stdout, args, wantsJson);
    const progress = wantsJson ? io.stderr : io.stdout;
    const logger = new ConsoleLogger(progress, styleFor(progress, io.env), { verbose: args.options.verbose === true });
    const output = await runCommand(args, { env: io.env, cwd: io.cwd, logger, verbose: args.options.verbose === true, isTTY: io.stdout.isTTY === true, ...stopOf(io, args) });
    // A reader stopped by a signal has ended as it would have; what it read is not what was asked for any more.
    if (io.stop?.aborted && stopModeOf(args) === StopMode.READ) throw new InterruptedError({ signal: signalOf(io.stop), command: args.command });
    if (wantsJson) return write(io.stdout, JSON.stringify({ ...output.json, target: output.target }) + '\n', 0);
    if (output.render) return write(io.stdout, output.render(styleFor(io.stdout, io.env)), 0);
    if (args.command === 'bundle' || args.command === 'resolve' || args.command === 'publish') return write(io.stdout, describeSimple(output.json) + '\n', 0);
    return write(io.stdout, renderResult(output.json as unknown as RunResult, styleFor(io.stdout, io.env)), 0);
  } catch (caught) {
    const error = asRunnerError(caught);
    const exitCode = error.code === ErrorCode.USAGE ? 2 : error.code === ErrorCode.INTERRUPTED ? exitCodeOf(error.details.signal) : 1;
    if (wantsJson) {
      const { bundleId = null, applied = [], reverted } = error.details as { bundleId?: string; applied?: unknown[]; reverted?: unknown[] };
      const failure = { ok: false, action: args?.command ?? (isCommand(io.argv[0]) ? io.argv[0] : null), bundleId, applied, ...(reverted ? { reverted } : {}), error: error.toJSON() };
      io.stdout.write(JSON.stringify(failure) + '\n');
    }
    io.stderr.write(renderError(error, styleFor(io.stderr, io.env)));
    return exitCode;
  }
}

/** The command's stop signal, and the notice it prints at once when it is aborted. */
function stopOf(io: CliIo, args: ParsedArgs): { stop?: AbortSignal; command?: string } {
  const { stop } = io;
  if (stop === undefined) return {};
  stop.addEventListener('abort', () => io.stderr.write(stopNotice(args, signalOf(stop))), { once: true });
  // A command that finishes first never sees the stop: the notice has said it finishes.
  return stopModeOf(args) === StopMode.FINISH ? { command: args.command } : { stop, command: args.command };
}

function describeSimple(json: Record<string, unknown>): string {
  if (json.action === 'bundle') return `Bundle ${String(json.bundleId)}\n  ${String(json.migrations)} migrations, ${String(json.bytes)} bytes\n  written to ${String(json.file)}`;
  if (json.action === 'publish') return `Bundle ${String(json.bundleId)}\n  ${json.uploaded ? 'published to' : 'already at'} s3://${String(json.bucket)}/${String(json.key)}`;
  return describeResolve(json);
}

/** `help` (of one command when named) and `version`: text, or with `--json` one object holding it. */
function writeInfo(stdout: Writer, args: ParsedArgs, json: boolean): number {
  const command = args.positionals[0] as Command | undefined;
  const text = args.command === 'version' ? `${version}\n` : command ? commandHelp(command) : HELP;
  if (!json) return write(stdout, text, 0);
  const info = args.command === 'version' ? { version } : { command: command ?? null, text };
  return write(stdout, JSON.stringify({ ok: true, action: args.command, ...info }) + '\n', 0);
}

function write(stream: Writer, text: string, code: number): number {
  stream.write(text);
  return code;
}
