import { GetAliasCommand, GetFunctionConfigurationCommand, UpdateAliasCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { AliasUpdateFailedError } from '../core/errors';

/** Where an alias points. */
export interface AliasState {
  name: string;
  /** The published version number, e.g. `"12"` (never `$LATEST` for a gated alias). */
  functionVersion: string;
  description: string;
}

/**
 * The two alias calls the gate makes. `functionName` is the deployed name
 * (`<service>-<stage>-api`), `aliasName` the gate's alias (`live`).
 */
export interface AliasClient {
  /**
   * Called before the stack update and by `promote`. Returns where the alias
   * points, or null when the function or the alias does not exist yet (a
   * first deploy). Throws `AliasUpdateFailedError` on any other failure.
   */
  getAlias(functionName: string, aliasName: string): Promise<AliasState | null>;
  /**
   * Called once the migrations succeeded (or by `promote`): points the
   * existing alias at `version`, replacing its description when one is
   * given. Throws `AliasUpdateFailedError` when the alias or version does not
   * exist or the call is refused.
   */
  updateAlias(functionName: string, aliasName: string, version: string, description?: string): Promise<AliasState>;
}

/** Reads a published version's description (stamped `stagegate bundle <id>` at deploy). */
export interface VersionReader {
  /** Returns the description of `version`, or null when that version does not exist. */
  versionDescription(functionName: string, version: string): Promise<string | null>;
}

const PERMISSION_REMEDY = 'Check the deployer\'s AWS credentials and that they allow lambda:GetAlias, lambda:UpdateAlias and lambda:GetFunctionConfiguration on the promoted functions.';

/**
 * {@link AliasClient} and {@link VersionReader} over Lambda's API, with an
 * injected client.
 *
 * @example
 * const aliases = new LambdaAliasClient(new LambdaClient({ region: 'eu-west-1' }));
 * await aliases.updateAlias('svc-prod-api', 'live', '13');
 */
export class LambdaAliasClient implements AliasClient, VersionReader {
  constructor(private readonly lambda: LambdaClient) {}

  async getAlias(functionName: string, aliasName: string): Promise<AliasState | null> {
    try {
      const out = await this.lambda.send(new GetAliasCommand({ FunctionName: functionName, Name: aliasName }));
      return { name: out.Name ?? aliasName, functionVersion: out.FunctionVersion ?? '', description: out.Description ?? '' };
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return null;
      throw new AliasUpdateFailedError(functionName, aliasName, null, reasonOf(error), PERMISSION_REMEDY, error);
    }
  }

  async updateAlias(functionName: string, aliasName: string, version: string, description?: string): Promise<AliasState> {
    try {
      const out = await this.lambda.send(
        new UpdateAliasCommand({ FunctionName: functionName, Name: aliasName, FunctionVersion: version, ...(description === undefined ? {} : { Description: description }) }),
      );
      return { name: out.Name ?? aliasName, functionVersion: out.FunctionVersion ?? version, description: out.Description ?? '' };
    } catch (error) {
      const remedy =
        errorName(error) === 'ResourceNotFoundException'
          ? `Check that version ${version} of ${functionName} and its alias ${aliasName} exist (\`aws lambda list-versions-by-function\`).`
          : PERMISSION_REMEDY;
      throw new AliasUpdateFailedError(functionName, aliasName, version, reasonOf(error), remedy, error);
    }
  }

  async versionDescription(functionName: string, version: string): Promise<string | null> {
    try {
      const out = await this.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName, Qualifier: version }));
      return out.Description ?? '';
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return null;
      throw new AliasUpdateFailedError(functionName, `version ${version}`, null, reasonOf(error), PERMISSION_REMEDY, error);
    }
  }
}

function errorName(error: unknown): string | undefined {
  return (error as { name?: string }).name;
}

function reasonOf(error: unknown): string {
  const e = error as { name?: string; message?: string };
  return `${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
}
