import { listenForSignals } from './interrupt';
import { runCli } from './main';

// A reader that stops early (`stagegate status | head -1`) closes the pipe. The command goes on to its end (a
// migration is never cut short by it) and exits with its own code; what it still prints is dropped, without a
// stack trace for the closed pipe.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
}

// Ctrl-C and SIGTERM stop the command at a safe point (it cleans up and says what happened); a second one quits at once.
const signals = listenForSignals(process, process.stderr);
runCli({ argv: process.argv.slice(2), env: process.env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr, stop: signals.stop }).then(
  (code) => {
    signals.dispose();
    process.exitCode = code;
  },
  (error: unknown) => {
    signals.dispose();
    process.stderr.write(`stagegate: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
