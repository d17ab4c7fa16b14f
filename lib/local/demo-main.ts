/** `npm run demo` (dist/demo.cjs): see {@link runDemo}. Options: `--verbose`. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EMULATOR_AWS_ENV, runDemo } from './demo';

/** How long Ctrl-C waits for the servers to stop before the process ends anyway. */
const FORCED_EXIT_MS = 15_000;
const USAGE = 'Usage: npm run demo [-- --verbose]\n';

/** The folder above this file that holds serverless.yml and the Serverless Framework. */
function findServiceDir(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'serverless.yml')) && existsSync(join(dir, 'node_modules/serverless/bin/serverless.js'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The AWS SDK in this process (the CLI's clients) reads credentials from
 * process.env, not from the environment the CLI is given: only the
 * emulators' key pair may be there.
 */
function useEmulatorCredentials(): void {
  for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
  Object.assign(process.env, EMULATOR_AWS_ENV, {
    // Its notice on Node 20 concerns SDK releases after January 2027, not this run; the project supports Node 20.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const unknown = argv.filter((arg) => arg !== '--verbose');
  if (unknown.length > 0) {
    process.stderr.write(`Unknown option ${unknown.join(' ')}.\n${USAGE}`);
    return 2;
  }
  const serviceDir = findServiceDir(__dirname);
  if (serviceDir === undefined) {
    process.stderr.write('The demo needs the stagegate repository with its development dependencies: run npm ci first.\n');
    return 1;
  }
  useEmulatorCredentials();
  const controller = new AbortController();
  // After Ctrl-C the step still running fails as its servers go away; its error says nothing new.
  const quiet = (stream: NodeJS.WriteStream) => ({ isTTY: stream.isTTY, write: (text: string) => controller.signal.aborted || stream.write(text) });
  let interruptedWith: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    const code = signal === 'SIGINT' ? 130 : 143;
    // A second Ctrl-C does not wait; nor does a stop that hangs. The servers' exit hooks end what is left.
    if (interruptedWith !== undefined) process.exit(code);
    interruptedWith = code;
    setTimeout(() => process.exit(code), FORCED_EXIT_MS).unref();
    process.stderr.write('\nInterrupted: stopping the local servers…\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const options = { projectDir: process.cwd(), serviceDir, env: process.env, verbose: argv.includes('--verbose') };
    const code = await runDemo({ ...options, stdout: quiet(process.stdout), stderr: quiet(process.stderr), signal: controller.signal });
    return interruptedWith ?? code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`demo: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
