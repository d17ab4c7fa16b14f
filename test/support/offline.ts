import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const ROOT = resolve(__dirname, '../..');
const SERVERLESS = join(ROOT, 'node_modules/serverless/bin/serverless.js');
const STAGE = 'local';
const SERVICE = 'stagegate';
/** serverless-offline's line once the Lambda invoke API accepts requests. */
const LISTENING = /Offline \[http for lambda\] listening on (https?:\/\/\S+)/;
const OUTPUT_LINES_KEPT = 200;
const STOP_GRACE_MS = 5_000;

/** A running `serverless offline start --stage local`. */
export interface Offline {
  /** `http://127.0.0.1:<port>`: the Lambda invoke API, for `LambdaClient`'s `endpoint`. */
  lambdaEndpoint: string;
  /** The deployed-style name of a function of this service: `stagegate-local-<name>`. */
  functionName(name: string): string;
  /** How long start-up took, from spawn to the listening line. */
  startupMs: number;
  /** The last lines the process printed (the handler's logs among them), for failure messages. */
  output(): string;
  /** Stops the process and everything it started, and removes its build folder. Safe to call twice. */
  stop(): Promise<void>;
}

export interface OfflineOptions {
  /**
   * What the handler sees besides serverless.yml's defaults. Only `AWS_*`
   * variables and those listed under `custom.stagegate.environment.offline`
   * reach it; any other name is refused rather than silently dropped.
   */
  env: Record<string, string>;
  /** Start-up limit (default 45 s, under jest's 60 s hook limit so this clearer error wins); start-up takes about 3 s. */
  timeoutMs?: number;
}

/**
 * Starts the service's `local` stage under serverless-offline, on free ports,
 * with the handler built by serverless-esbuild into a folder of its own.
 * Handlers run in a worker thread whose environment is exactly the function's
 * `environment` (resolved from `env` through `${env:…}`) plus the `AWS_*`
 * variables; this process's other variables never reach it. Start one per
 * test file: it takes a few seconds.
 *
 * @example
 * const offline = await startOffline({ env: { DATABASE_URL: db.url, STAGEGATE_S3_ENDPOINT: s3.endpoint } });
 * afterAll(() => offline.stop());
 * const lambda = offlineLambdaClient(offline);
 */
export async function startOffline(options: OfflineOptions): Promise<Offline> {
  const forwarded = forwardedVariables();
  const refused = Object.keys(options.env).filter((name) => !name.startsWith('AWS_') && !forwarded.has(name));
  if (refused.length > 0) {
    throw new Error(`startOffline: ${refused.join(', ')} would not reach the handler; list it under custom.stagegate.environment.offline in serverless.yml.`);
  }
  const [lambdaPort, httpPort, websocketPort, albPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const buildFolder = join('.esbuild', `offline-${randomBytes(6).toString('hex')}`);
  const args = [SERVERLESS, 'offline', 'start', '--stage', STAGE, '--host', '127.0.0.1', '--noSponsor'];
  args.push('--lambdaPort', String(lambdaPort), '--httpPort', String(httpPort), '--websocketPort', String(websocketPort), '--albPort', String(albPort));
  const started = performance.now();
  // Its own process group, so stop() reaches esbuild's service process too.
  const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv(forwarded, buildFolder, options.env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const { exited, stop } = supervise(child, buildFolder);
  try {
    const lambdaEndpoint = await waitForListening(child, lines, exited, options.timeoutMs ?? 45_000);
    return {
      lambdaEndpoint,
      functionName: (name) => `${SERVICE}-${STAGE}-${name}`,
      startupMs: Math.round(performance.now() - started),
      output: () => lines.join('\n'),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A Lambda client for the emulator: its endpoint, us-east-1 and dummy
 * credentials (serverless-offline checks neither), no retries.
 *
 * @example
 * const lambda = offlineLambdaClient(offline);
 * await lambda.send(new InvokeCommand({ FunctionName: offline.functionName('migrate'), Payload: … }));
 */
export function offlineLambdaClient(offline: Pick<Offline, 'lambdaEndpoint'>): LambdaClient {
  return new LambdaClient({
    endpoint: offline.lambdaEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'offline', secretAccessKey: 'offline' },
    maxAttempts: 1,
  });
}

/** A synchronous invocation's outcome, its payload parsed as JSON. */
export interface OfflineInvocation {
  statusCode: number | undefined;
  /** `Unhandled` when the handler threw, as on AWS; undefined on success. */
  functionError: string | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests walk whatever the handler returned
  payload: any;
}

/**
 * Invokes a function synchronously (`RequestResponse`) and parses its payload.
 *
 * @example
 * const { functionError, payload } = await invokeOffline(lambda, offline.functionName('migrate'), { action: 'status', bundle });
 */
export async function invokeOffline(lambda: LambdaClient, functionName: string, event: unknown): Promise<OfflineInvocation> {
  const response: InvokeCommandOutput = await lambda.send(
    new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(event)) }),
  );
  const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
  return { statusCode: response.StatusCode, functionError: response.FunctionError, payload: text === '' ? undefined : JSON.parse(text) };
}

/**
 * The `errorType` a failed invocation would have on AWS: the thrown error's
 * `name`. serverless-offline 13 always answers `errorType: "Error"` and keeps
 * the name only in the first line of `trace` (`<name>: <first message line>`),
 * so that is where it is read from when `errorType` is `Error`.
 *
 * @example
 * expect(errorTypeOf(payload)).toBe('EVENT_INVALID');
 */
export function errorTypeOf(payload: { errorType?: unknown; trace?: unknown }): string | undefined {
  if (typeof payload.errorType === 'string' && payload.errorType !== 'Error') return payload.errorType;
  const first = Array.isArray(payload.trace) ? payload.trace[0] : undefined;
  const match = typeof first === 'string' ? /^([A-Za-z_$][\w$]*): /.exec(first) : null;
  return match?.[1] ?? (typeof payload.errorType === 'string' ? payload.errorType : undefined);
}

/**
 * Ends the process group of `child` when `stop()` is called (SIGTERM, then
 * SIGKILL after a grace period) or when this process exits, and removes the
 * build folder. `exited` settles once the main process is gone.
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
  const killOnExit = (): void => killGroup('SIGKILL');
  process.once('exit', killOnExit);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
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
  };
  return { exited, stop };
}

/** Names serverless.yml forwards from the environment to the local stage's handler. */
function forwardedVariables(): Set<string> {
  const document = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8')) as {
    custom?: { stagegate?: { environment?: { offline?: Record<string, unknown> } } };
  };
  return new Set(Object.keys(document.custom?.stagegate?.environment?.offline ?? {}));
}

/**
 * The serverless process's environment: this process's, minus everything that
 * would reach the handler (so a developer's DATABASE_URL or AWS profile cannot
 * leak into a test), plus the caller's variables.
 */
function childEnv(forwarded: Set<string>, buildFolder: string, env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && !forwarded.has(name)));
  return {
    ...inherited,
    // No update checks, telemetry or prompts: nothing that needs a network or a terminal.
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_INTERACTIVE_SETUP_DISABLE: '1',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    STAGEGATE_BUILD_FOLDER: buildFolder,
    ...env,
  };
}

function waitForListening(
  child: ChildProcess,
  lines: string[],
  exited: Promise<number | null>,
  timeoutMs: number,
): Promise<string> {
  return new Promise((done, fail) => {
    const tail = (): string => (lines.length === 0 ? '(nothing)' : lines.slice(-40).join('\n'));
    const timer = setTimeout(() => fail(new Error(`serverless offline printed no listening line within ${timeoutMs} ms. Its last output:\n${tail()}`)), timeoutMs);
    const collect = (chunk: Buffer): void => {
      // eslint-disable-next-line no-control-regex -- colour codes, should any slip through
      for (const line of chunk.toString('utf8').replace(/\u001b\[[0-9;]*m/g, '').split('\n')) {
        if (line.trim() === '') continue;
        lines.push(line);
        if (lines.length > OUTPUT_LINES_KEPT) lines.shift();
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

/** A port nobody listens on right now: the one the OS hands out for port 0. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => done(port));
    });
  });
}

function removeBuildFolder(buildFolder: string): void {
  rmSync(join(ROOT, buildFolder), { recursive: true, force: true });
  try {
    // The shared parent too, once no other process builds there.
    rmdirSync(join(ROOT, '.esbuild'));
  } catch {
    // Not empty, or already gone.
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms).unref());
}
