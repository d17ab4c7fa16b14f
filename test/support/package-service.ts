import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { quietFrameworkEnv } from '../../lib/local/serverless-offline';

const ROOT = resolve(__dirname, '../..');
const SERVERLESS = join(ROOT, 'node_modules/serverless/bin/serverless.js');

/** One resource of a compiled template. */
export interface TemplateResource {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: unknown;
}

/** `cloudformation-template-update-stack.json`, as `serverless package` writes it. */
export interface PackagedTemplate {
  Resources: Record<string, TemplateResource>;
  Outputs: Record<string, { Value: unknown }>;
  Conditions?: Record<string, unknown>;
}

/** The result of `serverless package --stage <stage>`. */
export interface PackagedService {
  stage: string;
  template: PackagedTemplate;
  /** Size in bytes of each function's zip, by function key. */
  zipBytes: Record<string, number>;
  /** Deletes the package folder. */
  remove(): void;
}

/**
 * Runs the real framework, `serverless package --stage <stage>`, on this
 * repository's service into a temporary folder, with no AWS credentials
 * reachable (no AWS_* variables, no shared config files, no instance
 * metadata), no telemetry and a build folder of its own. Package one stage
 * at a time: the framework empties the service's `.serverless/` folder when
 * packaging starts, and serverless-esbuild and the stagegate plugin write
 * there whatever `--package` says. Rejects with the framework's output when
 * packaging fails.
 *
 * @example
 * const dev = await packageService('dev');
 * afterAll(() => dev.remove());
 * dev.template.Resources.ApiLambdaAliasLive.Properties.Name; // 'live'
 */
export async function packageService(stage: string, functions: readonly string[] = ['migrate', 'api']): Promise<PackagedService> {
  const dir = mkdtempSync(join(tmpdir(), `stagegate-package-${stage}-`));
  const buildFolder = join('.esbuild', `package-${randomBytes(6).toString('hex')}`);
  try {
    await run([SERVERLESS, 'package', '--stage', stage, '--package', dir], packageEnv(buildFolder));
    const template = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as PackagedTemplate;
    const zipBytes = Object.fromEntries(functions.map((key) => [key, statSync(join(dir, `${key}.zip`)).size]));
    return { stage, template, zipBytes, remove: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  } finally {
    removeBuildFolder(buildFolder);
  }
}

function packageEnv(buildFolder: string): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  const nowhere = join(tmpdir(), 'stagegate-no-aws-config');
  return {
    ...inherited,
    // Packaging must not need AWS: nothing here could sign a request.
    AWS_CONFIG_FILE: nowhere,
    AWS_SHARED_CREDENTIALS_FILE: nowhere,
    AWS_EC2_METADATA_DISABLED: 'true',
    ...quietFrameworkEnv(buildFolder),
  };
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((done, fail) => {
    execFile(process.execPath, args, { cwd: ROOT, env, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`serverless ${args.slice(1).join(' ')} failed (${error.message.split('\n')[0]}):\n${stdout}\n${stderr}`));
      else done();
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
