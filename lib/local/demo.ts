/**
 * `npm run demo`: the whole deploy-time flow on this machine, with no AWS
 * account and no Docker. The embedded PostgreSQL, S3 (s3rver) and the Lambda
 * emulator (serverless-offline) run the real migrate function, which the CLI
 * drives with `plan`, `migrate` and `status --stage local`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { configFromEnv, parseConfig } from '../config';
import { MigrationRunnerError } from '../core/errors';
import { withEmbeddedPostgres } from '../adapters/embedded/embedded-postgres';
import { describeConnection, withClient } from '../adapters/postgres';
import { runCli } from '../cli/main';
import type { Writer } from '../cli/console-logger';
import { renderError } from '../cli/render';
import { styleFor, type Style } from '../cli/style';
import { Cleanup } from './cleanup';
import { S3RVER_CREDENTIALS, startS3 } from './s3rver';
import { startOffline } from './serverless-offline';

/** Recreated on every run, so the whole flow shows each time; the CLI's own database, `stagegate`, is never touched. */
export const DEMO_DATABASE = 'stagegate_demo';
/** The local stage's bucket in serverless.yml. */
const BUCKET = 'stagegate-local';
const STAGE = 'local';
const REGION = 'us-east-1';
/** Each step takes well under a second; one that takes this long will not come back. */
const STEP_LIMIT_MS = 120_000;
const STEPS = [
  { command: 'plan', says: 'what the migrate function would apply' },
  { command: 'migrate', says: 'the migrate function applies each pending migration in its own transaction' },
  { command: 'status', says: 'each migration as the ledger records it' },
] as const;

/**
 * The AWS settings the CLI and the handler use with the emulators: s3rver's
 * key pair, which serverless-offline accepts as well. The CLI runs in the
 * demo's process, and the AWS SDK reads credentials from that process's own
 * environment, so the entry point sets these there.
 */
export const EMULATOR_AWS_ENV = {
  AWS_REGION: REGION,
  AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
} as const;

type Stream = Writer & { isTTY?: boolean };

export interface DemoOptions {
  /** Holds `migrations/` and serverless.yml (which names the function); the embedded server keeps its data in `.stagegate/` here. */
  projectDir: string;
  /** Holds serverless.yml, the handlers and `node_modules/serverless`, for serverless-offline. */
  serviceDir: string;
  /** Read for `STAGEGATE_EMBEDDED_PORT` and `NO_COLOR`, and passed on to the CLI without its `AWS_*` variables. */
  env: Record<string, string | undefined>;
  stdout: Stream;
  stderr: Stream;
  /** Also show PostgreSQL's and serverless-offline's output, and the CLI's debug events. */
  verbose: boolean;
  /** Ctrl-C: stops every server at once and ends the demo with code 130 once they are down. */
  signal?: AbortSignal;
}

/** One run's surroundings, shared by its phases. */
interface Run {
  options: DemoOptions;
  cleanup: Cleanup;
  style: Style;
  say: (line: string) => void;
  /** Throws once the run is interrupted, so that nothing new starts. */
  checkpoint: () => void;
}

/** The exit code of an interrupted run, as a shell reports Ctrl-C. */
const INTERRUPTED = 130;

/**
 * Runs the demo and returns its exit code: 0 when every step succeeded, 1
 * when one failed, 130 when interrupted. Every server it started is stopped
 * before it returns.
 *
 * @example
 * process.exitCode = await runDemo({ projectDir: process.cwd(), serviceDir, env: process.env, stdout: process.stdout, stderr: process.stderr, verbose: false });
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const started = performance.now();
  const cleanup = new Cleanup();
  const style = styleFor(options.stdout, options.env);
  const run: Run = {
    options,
    cleanup,
    style,
    say: (line) => void options.stdout.write(`${line}\n`),
    checkpoint: () => options.signal?.throwIfAborted(),
  };
  const interrupt = (): void => void cleanup.run();
  options.signal?.addEventListener('abort', interrupt);
  const seconds = (): string => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  try {
    assertProject(options.projectDir);
    const { embeddedPort } = parseConfig(configFromEnv({ STAGEGATE_EMBEDDED_PORT: options.env.STAGEGATE_EMBEDDED_PORT }));
    run.say(style.bold(`stagegate demo: plan, migrate and status on stage ${STAGE}, run by the migrate function in the Lambda emulator`));
    run.say('Starting the local servers…');
    const log = (line: string): void => run.say(style.dim(`  ${line}`));
    const code = await withEmbeddedPostgres({ projectDir: options.projectDir, port: embeddedPort, log, verbose: options.verbose }, async (url) => {
      try {
        return await runSteps(run, await startServers(run, url));
      } finally {
        // Before the embedded server stops: the handler may still hold a connection.
        await cleanup.run();
      }
    });
    if (options.signal?.aborted) return INTERRUPTED;
    run.say(code === 0 ? closing(style, seconds()) : style.red(`The demo failed after ${seconds()}; every server it started is stopped.`));
    return code;
  } catch (error) {
    await cleanup.run();
    if (options.signal?.aborted) return INTERRUPTED;
    options.stderr.write(describeFailure(error, styleFor(options.stderr, options.env)));
    run.say(style.red(`The demo failed after ${seconds()}; every server it started is stopped.`));
    return 1;
  } finally {
    options.signal?.removeEventListener('abort', interrupt);
  }
}

/** Starts S3 and the emulator on a fresh demo database; returns the CLI's environment for `--stage local`. */
async function startServers(run: Run, url: string): Promise<Record<string, string | undefined>> {
  const { options, cleanup, style, say, checkpoint } = run;
  checkpoint();
  const databaseUrl = await freshDatabase(url);
  say(`  PostgreSQL  embedded, database ${DEMO_DATABASE} (created fresh) at ${style.dim(describeConnection(databaseUrl))}`);
  checkpoint();
  const s3 = await startS3();
  cleanup.add(() => s3.stop());
  await s3.createBucket(BUCKET);
  say(`  S3          s3rver at ${s3.endpoint}, bucket ${BUCKET}`);
  checkpoint();
  const offlineStarted = performance.now();
  const offline = await startOffline({
    serviceDir: options.serviceDir,
    env: {
      DATABASE_URL: databaseUrl,
      STAGEGATE_DB_TLS: 'disable',
      STAGEGATE_S3_ENDPOINT: s3.endpoint,
      AWS_ACCESS_KEY_ID: EMULATOR_AWS_ENV.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: EMULATOR_AWS_ENV.AWS_SECRET_ACCESS_KEY,
    },
    ...(options.verbose ? { onOutput: (line: string) => say(style.dim(`  lambda | ${line}`)) } : {}),
  });
  cleanup.add(() => offline.stop());
  const startup = ((performance.now() - offlineStarted) / 1000).toFixed(1);
  say(`  Lambda      serverless-offline at ${offline.lambdaEndpoint}, function ${offline.functionName('migrate')} (started in ${startup} s)`);
  // A developer's own AWS settings (a profile, a session token) must not reach the emulators.
  const inherited = Object.fromEntries(Object.entries(options.env).filter(([name]) => !name.startsWith('AWS_')));
  return { ...inherited, ...EMULATOR_AWS_ENV, STAGEGATE_BUCKET: BUCKET, STAGEGATE_S3_ENDPOINT: s3.endpoint, STAGEGATE_LAMBDA_ENDPOINT: offline.lambdaEndpoint };
}

/** Runs the CLI in this process once per step; stops at the first failure and returns its exit code. */
async function runSteps(run: Run, env: Record<string, string | undefined>): Promise<number> {
  const { options, style, say, checkpoint } = run;
  for (const [index, step] of STEPS.entries()) {
    checkpoint();
    const argv = [step.command, '--stage', STAGE, ...(options.verbose ? ['--verbose'] : [])];
    say('');
    say(style.bold(`${index + 1}/${STEPS.length} ${step.command} on stage ${STAGE} (through the Lambda emulator): ${step.says}`));
    say(style.dim(`$ stagegate ${argv.join(' ')}`));
    const running = runCli({ argv, env, cwd: options.projectDir, stdout: options.stdout, stderr: options.stderr });
    const answered = await withinStepLimit(running);
    // Stopping the emulator ends the invocation that never came back; the CLI then reports it.
    if (!answered) await run.cleanup.run();
    const code = await running;
    if (code !== 0) {
      checkpoint();
      say('');
      const label = `Step ${index + 1}/${STEPS.length} (${step.command})`;
      say(style.red(answered ? `${label} failed with exit code ${code}; its error is above.` : `${label} got no answer within ${STEP_LIMIT_MS / 1000} s.`));
      if (!answered) say('serverless-offline rebuilds the handler when a file under lib/ or handlers/ changes, and an invocation under way then never returns: run the demo again.');
      else if (!options.verbose) say('Run `npm run demo -- --verbose` to see the output of PostgreSQL and of the Lambda emulator as well.');
      return code === 0 ? 1 : code;
    }
  }
  return 0;
}

/** Whether `step` settled within {@link STEP_LIMIT_MS}. */
async function withinStepLimit(step: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<false>((done) => (timer = setTimeout(() => done(false), STEP_LIMIT_MS)));
  try {
    return await Promise.race([step.then(() => true), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Drops and creates the demo database on the embedded server; returns its URL. */
async function freshDatabase(url: string): Promise<string> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  await withClient(admin.toString(), { connectTimeoutMs: 10_000 }, async (client) => {
    // A constant identifier: DROP and CREATE DATABASE take no parameters. FORCE ends sessions a stopped demo left.
    await client.query(`DROP DATABASE IF EXISTS ${DEMO_DATABASE} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${DEMO_DATABASE}`);
  });
  const demo = new URL(url);
  demo.pathname = `/${DEMO_DATABASE}`;
  return demo.toString();
}

function assertProject(projectDir: string): void {
  const missing = ['migrations', 'serverless.yml'].filter((name) => !existsSync(join(projectDir, name)));
  if (missing.length > 0) {
    throw new Error(`${projectDir} has no ${missing.join(' and no ')}: run the demo from the stagegate project folder (npm run demo).`);
  }
}

/** stagegate's own errors as the CLI shows them; a server that would not start, by its message. */
function describeFailure(error: unknown, style: Style): string {
  if (error instanceof MigrationRunnerError) return renderError(error, style);
  const message = error instanceof Error ? error.message : String(error);
  return `${style.red(style.bold('error'))}: ${message}\n`;
}

function closing(style: Style, total: string): string {
  return [
    '',
    style.green(`Done in ${total}; every server the demo started is stopped.`),
    'Shown: the CLI published the bundle of ./migrations to S3 (s3rver) and ran plan, migrate and status through the',
    `migrate function in the Lambda emulator (serverless-offline), on the embedded PostgreSQL's database ${DEMO_DATABASE}.`,
    'By hand: `npx stagegate migrate` (or plan, status) runs the same migrations without Lambda, on the embedded',
    'database stagegate; for `--stage local`, start s3rver and serverless-offline yourself as the README shows.',
  ].join('\n');
}
