import { InterruptedError } from '../core/errors';
import { isCommand } from './args';
import type { Writer } from './console-logger';
import { renderError } from './render';
import { styleFor } from './style';

/** Exit codes of a process ended by SIGINT and SIGTERM, as a shell reports them. */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Makes Ctrl-C and SIGTERM end the command as a failure: the coded error
 * (with `--json`, as the one JSON object on stdout) and exit 130 or 143,
 * instead of dying with nothing printed. Returns the function that removes
 * the handlers, to call once the command has written its own result.
 *
 * @example
 * const settled = exitOnInterrupt(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
 */
export function exitOnInterrupt(argv: readonly string[], io: { stdout: Writer; stderr: Writer & { isTTY?: boolean }; env: Record<string, string | undefined> }): () => void {
  const wantsJson = argv.some((arg) => arg === '--json' || arg.startsWith('--json='));
  const command = isCommand(argv[0]) ? argv[0] : null;
  const onSignal = (signal: NodeJS.Signals): void => {
    const error = new InterruptedError(command, signal);
    if (wantsJson) io.stdout.write(JSON.stringify({ ok: false, action: command, bundleId: null, applied: [], error: error.toJSON() }) + '\n');
    io.stderr.write(renderError(error, styleFor(io.stderr, io.env)));
    process.exit(SIGNAL_EXIT[signal] ?? 1);
  };
  const signals = Object.keys(SIGNAL_EXIT) as NodeJS.Signals[];
  for (const signal of signals) process.once(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
