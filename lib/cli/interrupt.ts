/**
 * Ctrl-C (SIGINT) and SIGTERM in the CLI. The first signal only asks the
 * command to stop (an `AbortSignal` passed down as the run's `stop`); the
 * command stops at a safe point, cleans up (rollback, lock, connection, the
 * embedded server) and says what happened, exiting 130 or 143. A second
 * signal quits at once.
 */
import type { ParsedArgs } from './args';
import type { Writer } from './console-logger';

/** Exit codes of a process ended by SIGINT and SIGTERM, as a shell reports them. */
export const SIGNAL_EXIT: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

/** How a command answers a stop: a local run stops at a safe point, a stage run stops waiting, a reader ends, the rest finish first. */
export const StopMode = { RUN: 'run', STAGE: 'stage', READ: 'read', FINISH: 'finish' } as const;
export type StopMode = (typeof StopMode)[keyof typeof StopMode];

/**
 * How `args`' command answers a stop.
 *
 * @example
 * stopModeOf(parseCommandLine(['migrate', '--stage', 'prod'])); // 'stage'
 */
export function stopModeOf(args: Pick<ParsedArgs, 'command' | 'options'>): StopMode {
  const { command, options } = args;
  // drift --stage and status --all-stages only read, through invocations that return at once; resolve --stage is one short write.
  if (options.stage !== undefined && command !== 'drift' && command !== 'resolve') return StopMode.STAGE;
  if (command === 'migrate' || (command === 'plan' && options.rehearse === true)) return StopMode.RUN;
  // drift --accept writes the baseline.
  if (command === 'status' || command === 'plan' || command === 'lint' || (command === 'drift' && options.accept !== true)) return StopMode.READ;
  return StopMode.FINISH;
}

/** The exit code of a command `signal` stopped: 130 for SIGINT, 143 for SIGTERM, else 1. */
export const exitCodeOf = (signal: unknown): number => (typeof signal === 'string' ? (SIGNAL_EXIT[signal] ?? 1) : 1);

const AGAIN = 'Press Ctrl-C again to quit without waiting';

/**
 * What the CLI says at once on the first signal: what it does now, and what
 * quitting without waiting costs.
 *
 * @example
 * stderr.write(stopNotice(args, 'SIGINT'));
 */
export function stopNotice(args: Pick<ParsedArgs, 'command' | 'options'>, signal: string): string {
  const command = `stagegate ${args.command}`;
  switch (stopModeOf(args)) {
    case StopMode.RUN:
      return (
        `${command}: ${signal}: stopping safely: no further migration starts, the statement running is cancelled and its transaction rolled back, ` +
        `then the ledger lock is released, the connection closed (and an embedded server this command started is stopped). ` +
        `${AGAIN}: on a server of your own, a statement still running may then go on until it ends, holding its locks and the ledger lock (the next run waits for them).\n`
      );
    case StopMode.STAGE: {
      const stage = typeof args.options.stage === 'string' ? args.options.stage : '<stage>';
      return `${command}: ${signal}: no longer waiting for the function; a run it started goes on there (\`stagegate status --stage ${stage}\` shows its outcome). ${AGAIN}.\n`;
    }
    case StopMode.READ:
      return `${command}: ${signal}: it only reads; stopping once its connection is closed (and an embedded server it started is stopped). ${AGAIN}.\n`;
    default:
      return `${command}: ${signal}: it does not stop part-way; it finishes first, then exits. ${AGAIN}: what it is writing may then be left half-done.\n`;
  }
}

/**
 * Listens for SIGINT and SIGTERM: the first aborts the returned `stop` with
 * the signal's name as its reason; a second one exits at once with its exit
 * code. `dispose` removes the listeners, once the command has ended.
 *
 * @example
 * const signals = listenForSignals(process, process.stderr);
 * process.exitCode = await runCli({ ...io, stop: signals.stop });
 * signals.dispose();
 */
export function listenForSignals(proc: Pick<NodeJS.Process, 'on' | 'off' | 'exit'>, stderr: Writer): { stop: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      controller.abort(signal);
      return;
    }
    stderr.write(`stagegate: ${signal} again: quitting without waiting.\n`);
    proc.exit(exitCodeOf(signal));
  };
  const signals = Object.keys(SIGNAL_EXIT) as NodeJS.Signals[];
  for (const signal of signals) proc.on(signal, onSignal);
  return {
    stop: controller.signal,
    dispose: () => {
      for (const signal of signals) proc.off(signal, onSignal);
    },
  };
}
