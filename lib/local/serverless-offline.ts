/**
 * The service's `local` stage under serverless-offline (the Lambda emulator),
 * started as a child process on free ports, for the demo and the tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { freePort } from './free-port';
import { functionEnvironmentNames } from './function-environment';

const STAGE = 'local';
/** The function whose environment decides which variables may be passed. */
const FUNCTION = 'migrate';
/** serverless-offline's line once the Lambda invoke API accepts requests. */
const LISTENING = /Offline \[http for lambda\] listening on (https?:\/\/\S+)/;
const OUTPUT_LINES_KEPT = 200;
const STOP_GRACE_MS = 5_000;

/** A running `serverless offline start --stage local`. */
export interface Offline {
  /** `http://127.0.0.1:<port>`: the Lambda invoke API, for `LambdaClient`'s `endpoint`. */
  lambdaEndpoint: string;
  /** The deployed-style name of a function of this service: `<service>-local-<name>`. */
  functionName(name: string): string;
  /** How long start-up took, from spawn to the listening line. */
  startupMs: number;
  /** The last lines the process printed (the handler's logs among them), for failure messages. */
  output(): string;
  /** Stops the process and everything it started, and removes its build folder. Safe to call twice. */
  stop(): Promise<void>;
}

export interface OfflineOptions {
  /** The folder that holds serverless.yml, the handlers and `node_modules/serverless`. */
  serviceDir: string;
  /**
   * What the handler sees besides serverless.yml's defaults. Only `AWS_*`
   * variables and the names in the migrate function's environment on the
   * local stage reach it; any other name is refused rather than silently dropped.
   */
  env: Record<string, string>;
  /** Start-up limit (default 45 s); start-up takes about 3 s. */
  timeoutMs?: number;
  /** Receives each line the process prints, as it comes (e.g. for `--verbose`). */
  onOutput?: (line: string) => void;
}

/**
 * Starts the service's `local` stage under serverless-offline, on free ports,
 * with the handler built by serverless-esbuild into a folder of its own.
 * Handlers run in a worker thread whose environment is exactly the function's
 * `environment` (resolved from `env` through `${env:…}`) plus the `AWS_*`
 * variables; this process's other variables never reach it. It takes a few
 * seconds. If this process exits before `stop()`, the emulator is killed.
 *
 * @example
 * const offline = await startOffline({ serviceDir, env: { DATABASE_URL: url, STAGEGATE_S3_ENDPOINT: s3.endpoint } });
 * try {
 *   await lambda.send(new InvokeCommand({ FunctionName: offline.functionName('migrate'), Payload: … }));
 * } finally {
 *   await offline.stop();
 * }
 */
export async function startOffline(options: OfflineOptions): Promise<Offline> {
  const { serviceDir } = options;
  const document = readServiceFile(serviceDir);
  const service = serviceName(document);
  const forwarded = functionEnvironmentNames(document, { functionName: FUNCTION, stage: STAGE });
  const refused = Object.keys(options.env).filter((name) => !name.startsWith('AWS_') && !forwarded.names.has(name));
  if (refused.length > 0) {
    const where = forwarded.sources.length > 0 ? forwarded.sources.join(', ') : `functions.${FUNCTION}.environment`;
    throw new Error(`startOffline: ${refused.join(', ')} would not reach the handler; add it to ${where} in serverless.yml for stage ${STAGE}.`);
  }
  const [lambdaPort, httpPort, websocketPort, albPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  // Relative: serverless-esbuild joins it to the service folder.
  const buildFolder = join('.esbuild', `offline-${randomBytes(6).toString('hex')}`);
  const args = [join(serviceDir, 'node_modules/serverless/bin/serverless.js'), 'offline', 'start', '--stage', STAGE, '--host', '127.0.0.1', '--noSponsor'];
  args.push('--lambdaPort', String(lambdaPort), '--httpPort', String(httpPort), '--websocketPort', String(websocketPort), '--albPort', String(albPort));
  const started = performance.now();
  // Its own process group, so stop() reaches esbuild's service process too.
  const child = spawn(process.execPath, args, {
    cwd: serviceDir,
    env: childEnv(handlerVariables(document), buildFolder, options.env),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const { exited, stop } = supervise(child, join(serviceDir, buildFolder));
  try {
    const lambdaEndpoint = await waitForListening(child, { lines, exited, timeoutMs: options.timeoutMs ?? 45_000, onOutput: options.onOutput });
    return {
      lambdaEndpoint,
      functionName: (name) => `${service}-${STAGE}-${name}`,
      startupMs: Math.round(performance.now() - started),
      output: () => lines.join('\n'),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function readServiceFile(serviceDir: string): Record<string, unknown> {
  // Merge keys (`<<: *block`) as the framework's own YAML reader accepts them.
  const document: unknown = parse(readFileSync(join(serviceDir, 'serverless.yml'), 'utf8'), { merge: true });
  return typeof document === 'object' && document !== null ? (document as Record<string, unknown>) : {};
}

function serviceName(document: Record<string, unknown>): string {
  const service = document.service;
  const name = typeof service === 'object' && service !== null ? (service as { name?: unknown }).name : service;
  if (typeof name !== 'string' || !/^[A-Za-z0-9-]+$/.test(name)) throw new Error('startOffline: serverless.yml names no service.');
  return name;
}

/** Every name serverless.yml gives any function on the local stage: none may come from this process unasked. */
function handlerVariables(document: Record<string, unknown>): Set<string> {
  const functions = typeof document.functions === 'object' && document.functions !== null ? Object.keys(document.functions) : [];
  return new Set(functions.flatMap((functionName) => [...functionEnvironmentNames(document, { functionName, stage: STAGE }).names]));
}

/**
 * Ends the process group of `child` when `stop()` is called (SIGTERM, then
 * SIGKILL after a grace period) or when this process exits first, and removes
 * the build folder. `exited` settles once the main process is gone.
 */
function supervise(child: ChildProcess, buildFolder: string): { exited: Promise<number | null>; stop: () => Promise<void> } {
  const exited = new Promise<number | null>((done) => {
    child.once('exit', (code) => done(code));
    child.once('error', () => done(null));
  });
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const killGroup = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  // Kept until stop() has finished: an exit in the middle of it (Ctrl-C) still ends the group.
  const killOnExit = (): void => {
    killGroup('SIGKILL');
    removeBuildFolder(buildFolder);
  };
  process.once('exit', killOnExit);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!hasExited) {
        killGroup('SIGTERM');
        const graceful = await Promise.race([exited.then(() => true), delay(STOP_GRACE_MS).then(() => false)]);
        if (!graceful) killGroup('SIGKILL');
        await exited;
      }
      // The main process is gone; anything left in its group goes now.
      killGroup('SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
      removeBuildFolder(buildFolder);
      process.removeListener('exit', killOnExit);
    })();
    return stopping;
  };
  return { exited, stop };
}

/**
 * The serverless process's environment: this process's, minus everything that
 * would reach a handler (so a developer's DATABASE_URL or AWS profile cannot
 * leak into it), plus the caller's variables.
 */
function childEnv(forwarded: Set<string>, buildFolder: string, env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !forwarded.has(name)));
  return {
    ...inherited,
    ...quietFrameworkEnv(buildFolder),
    // No file watching: a rebuild during an invocation would break it.
    STAGEGATE_OFFLINE_WATCH: 'off',
    ...env,
  };
}

/**
 * Settings for a non-interactive run of the Serverless Framework: no update
 * checks, telemetry, prompts or colours (nothing that needs a network or a
 * terminal), and a build folder of its own.
 *
 * @example
 * spawn(node, [serverless, 'package'], { env: { ...process.env, ...quietFrameworkEnv('.esbuild/x') } });
 */
export function quietFrameworkEnv(buildFolder: string): Record<string, string> {
  return {
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_INTERACTIVE_SETUP_DISABLE: '1',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    STAGEGATE_BUILD_FOLDER: buildFolder,
  };
}

interface Watch {
  lines: string[];
  exited: Promise<number | null>;
  timeoutMs: number;
  onOutput: ((line: string) => void) | undefined;
}

function waitForListening(child: ChildProcess, watch: Watch): Promise<string> {
  const { lines, exited, timeoutMs, onOutput } = watch;
  return new Promise((done, fail) => {
    const tail = (): string => (lines.length === 0 ? '(nothing)' : lines.slice(-40).join('\n'));
    const timer = setTimeout(() => fail(new Error(`serverless offline printed no listening line within ${timeoutMs} ms. Its last output:\n${tail()}`)), timeoutMs);
    const collect = (chunk: Buffer): void => {
      // eslint-disable-next-line no-control-regex -- colour codes, should any slip through
      for (const line of chunk.toString('utf8').replace(/\u001b\[[0-9;]*m/g, '').split('\n')) {
        if (line.trim() === '') continue;
        lines.push(line);
        if (lines.length > OUTPUT_LINES_KEPT) lines.shift();
        onOutput?.(line);
        const match = LISTENING.exec(line);
        if (match) {
          clearTimeout(timer);
          done(match[1] as string);
        }
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('error', (error) => {
      clearTimeout(timer);
      fail(new Error(`serverless offline could not be started: ${error.message}`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`serverless offline exited with code ${code} before listening. Its last output:\n${tail()}`));
    });
  });
}

function removeBuildFolder(buildFolder: string): void {
  rmSync(buildFolder, { recursive: true, force: true });
  try {
    // The shared parent too, once no other process builds there.
    rmdirSync(join(buildFolder, '..'));
  } catch {
    // Not empty, or already gone.
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms).unref());
}
