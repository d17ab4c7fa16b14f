/**
 * The part of the Serverless Framework (v3, v4, osls) the plugin touches,
 * typed here so the plugin compiles without the framework's own types and
 * unit tests can pass a small fake.
 */
import type { FrameworkAwsProvider } from '../gate/aws-config';
import type { FrameworkLog } from './framework-logger';
import type { CompiledTemplate } from './template';

export interface AwsNaming {
  getStackName(): string;
  /** `api` → `ApiLambdaFunctionQualifiedArn` */
  getLambdaVersionOutputLogicalId(functionKey: string): string;
}

export interface AwsProvider extends FrameworkAwsProvider {
  naming: AwsNaming;
  getStage(): string;
}

export interface Serverless {
  serviceDir?: string;
  config?: { servicePath?: string };
  service: {
    service?: string | null;
    custom?: Record<string, unknown> | null;
    provider: { compiledCloudFormationTemplate?: CompiledTemplate; versionFunctions?: boolean };
    getAllFunctions(): string[];
    getFunction(key: string): { name?: string };
  };
  processedInput?: { commands?: string[] };
  getProvider(name: 'aws'): AwsProvider;
  configSchemaHandler?: { defineCustomProperties(schema: Record<string, unknown>): void };
  classes?: { Error?: new (message: string, code?: string) => Error };
  cli?: { log(message: string): void };
}

export interface PluginOptions {
  function?: string;
  to?: string;
  force?: boolean;
  reason?: string;
  'allow-uncommitted'?: boolean;
  [key: string]: unknown;
}

/** The third constructor argument of v3 (and v4/osls): the modern log and progress API. */
export interface PluginIo {
  log?: FrameworkLog;
  progress?: { create?(options: { message: string }): { update(message: string): void; remove(): void } };
}

/** The framework's log, or v3's legacy `serverless.cli.log` where there is none. */
export function frameworkLog(serverless: Serverless, io: PluginIo | undefined): FrameworkLog {
  if (io?.log) return io.log;
  const write = (text: string): void => (serverless.cli ? serverless.cli.log(text) : console.log(text));
  return { notice: write, warning: (text) => write(`warning: ${text}`), error: (text) => write(`error: ${text}`) };
}
