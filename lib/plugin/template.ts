import { DeployRefusedError } from '../core/errors';

/** A compiled CloudFormation template, as Serverless builds it. */
export interface CompiledTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  [key: string]: unknown;
}

/** What {@link routeThroughAlias} does to one function. */
export interface AliasRouting {
  /** The function's key under `functions:` in serverless.yml, e.g. `api`. */
  functionKey: string;
  /** The alias events go through, e.g. `live`. */
  aliasName: string;
  /**
   * The version the alias points at now (read at deploy time), so the stack
   * update leaves it there. Omitted: the alias points at the version this
   * template publishes (first deploy: nothing serves yet).
   */
  servingVersion?: string;
  /** The bundle (sha256) this version's code expects; stamped on the version and the function. */
  bundleId?: string;
}

/** The logical ids of a routed function, as {@link routeThroughAlias} leaves them. */
export interface FunctionLogicalIds {
  /** `AWS::Lambda::Function`, e.g. `ApiLambdaFunction`. */
  function: string;
  /** The `AWS::Lambda::Version` this template publishes, e.g. `ApiLambdaVersionAbC…`. */
  version: string;
  /** `AWS::Lambda::Alias`, e.g. `ApiLambdaAliasLive`. */
  alias: string;
  /** Output with the alias ARN, e.g. `ApiLambdaAliasLiveArn`. */
  aliasArnOutput: string;
  /** Output with the new version's number, e.g. `ApiLambdaPublishedVersion`. */
  publishedVersionOutput: string;
}

/** Resource types whose references to the function are event plumbing, and the alias replaces them. */
const ROUTED_TYPES = new Set(['AWS::Lambda::Permission', 'AWS::ApiGatewayV2::Integration', 'AWS::ApiGateway::Method']);
/** Resource types that refer to the function itself, not to where events go. */
const UNROUTED_TYPES = new Set(['AWS::Lambda::Version', 'AWS::Lambda::EventInvokeConfig', 'AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']);
/** Lambda's limit on function and version descriptions. */
const MAX_DESCRIPTION = 256;
const BUNDLE_STAMP = /\s*\(?stagegate bundle [0-9a-f]{64}\)?$/;

/**
 * Routes a function's events through an alias, so that a deploy publishes
 * new code without serving it: adds an `AWS::Lambda::Alias`, points every
 * httpApi and REST (`http`) integration and invoke permission of the
 * function at the alias ARN, stamps the new version (and the function, so
 * that Lambda publishes a new version even when only the bundle changed)
 * with `stagegate bundle <bundleId>`, and adds outputs for the alias ARN
 * and the new version's number. Pure: changes `template` in place and makes
 * no AWS calls. Applying it again gives the same template.
 *
 * Throws `DeployRefusedError` when the function or its version resource is
 * missing (`versionFunctions: false`), when another alias already fronts it
 * (`provisionedConcurrency`, `snapStart`), or when an event type other than
 * httpApi and http would keep invoking `$LATEST`.
 *
 * @example
 * const ids = routeThroughAlias(template, { functionKey: 'api', aliasName: 'live', servingVersion: '12', bundleId });
 * // ids.alias === 'ApiLambdaAliasLive'; HttpApiIntegrationApi's IntegrationUri is { Ref: 'ApiLambdaAliasLive' }
 */
export function routeThroughAlias(template: CompiledTemplate, routing: AliasRouting): FunctionLogicalIds {
  checkRouting(routing);
  const ids = findFunctionLogicalIds(template, routing.functionKey, routing.aliasName);
  refuseOtherAliases(template, ids);
  const aliasRef = { Ref: ids.alias };
  const unrouted: string[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (logicalId === ids.function || logicalId === ids.alias || UNROUTED_TYPES.has(resource.Type)) continue;
    if (!refersTo(resource.Properties, ids.function)) continue;
    if (ROUTED_TYPES.has(resource.Type)) resource.Properties = replaceReferences(resource.Properties, ids.function, ids.alias) as Record<string, unknown>;
    else unrouted.push(`${logicalId} (${resource.Type})`);
  }
  if (unrouted.length > 0) {
    throw new DeployRefusedError(
      `Function "${routing.functionKey}" has events stagegate cannot route through its alias "${routing.aliasName}": ${unrouted.join(', ')}. They would run new code before its migrations.`,
      `Give "${routing.functionKey}" httpApi or http events only, or remove it from custom.stagegate.promote.`,
      { function: routing.functionKey, resources: unrouted },
    );
  }
  template.Resources[ids.alias] = {
    Type: 'AWS::Lambda::Alias',
    Properties: {
      Name: routing.aliasName,
      FunctionName: { Ref: ids.function },
      FunctionVersion: routing.servingVersion ?? { 'Fn::GetAtt': [ids.version, 'Version'] },
    },
  };
  if (routing.bundleId !== undefined) stampBundle(template, ids, routing.bundleId);
  template.Outputs = {
    ...template.Outputs,
    [ids.aliasArnOutput]: { Description: `ARN of the ${routing.aliasName} alias, which serves the function's events`, Value: aliasRef },
    [ids.publishedVersionOutput]: { Description: 'Version this deploy published (served once promoted)', Value: { 'Fn::GetAtt': [ids.version, 'Version'] } },
  };
  return ids;
}

/**
 * The logical ids Serverless v3 gives a function and those the alias gets.
 * Throws `DeployRefusedError` when the template has no such function, or
 * not exactly one version resource for it.
 *
 * @example
 * findFunctionLogicalIds(template, 'api', 'live'); // { function: 'ApiLambdaFunction', version: 'ApiLambdaVersion…', alias: 'ApiLambdaAliasLive', … }
 */
export function findFunctionLogicalIds(template: CompiledTemplate, functionKey: string, aliasName: string): FunctionLogicalIds {
  const fn = functionLogicalId(functionKey);
  if (template.Resources[fn]?.Type !== 'AWS::Lambda::Function') {
    throw new DeployRefusedError(
      `The template has no function "${functionKey}" (no ${fn} resource), so stagegate cannot route it through the alias "${aliasName}".`,
      'Check that custom.stagegate.promote names functions under `functions:` in serverless.yml.',
      { function: functionKey },
    );
  }
  const versions = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Version' && refersTo(r.Properties?.FunctionName, fn))
    .map(([id]) => id);
  if (versions.length !== 1) {
    throw new DeployRefusedError(
      `Function "${functionKey}" has ${versions.length === 0 ? 'no' : versions.length} AWS::Lambda::Version resource(s) in the template; the alias "${aliasName}" needs exactly one, the version this deploy publishes.`,
      `Remove \`versionFunctions: false\` (provider.versionFunctions or functions.${functionKey}.versionFunction): a promoted function must publish versions.`,
      { function: functionKey, versions },
    );
  }
  const alias = aliasLogicalId(functionKey, aliasName);
  return { function: fn, version: versions[0] as string, alias, aliasArnOutput: `${alias}Arn`, publishedVersionOutput: `${normalizedFunctionName(functionKey)}LambdaPublishedVersion` };
}

/**
 * A function key as Serverless v3 puts it in logical ids (`naming.getNormalizedFunctionName`).
 *
 * @example
 * normalizedFunctionName('orders-api'); // 'OrdersDashapi'
 */
export function normalizedFunctionName(functionKey: string): string {
  const name = functionKey.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/**
 * The function's `AWS::Lambda::Function` logical id.
 *
 * @example
 * functionLogicalId('api'); // 'ApiLambdaFunction'
 */
export function functionLogicalId(functionKey: string): string {
  return `${normalizedFunctionName(functionKey)}LambdaFunction`;
}

/**
 * The alias's logical id (Serverless' own aliases are `…ProvConcLambdaAlias`, `…SnapStartLambdaAlias`).
 *
 * @example
 * aliasLogicalId('api', 'live'); // 'ApiLambdaAliasLive'
 */
export function aliasLogicalId(functionKey: string, aliasName: string): string {
  const alias = aliasName.replace(/[^0-9A-Za-z]/g, '');
  return `${normalizedFunctionName(functionKey)}LambdaAlias${alias.charAt(0).toUpperCase()}${alias.slice(1)}`;
}

function checkRouting(routing: AliasRouting): void {
  // Lambda's alias name rule; an all-digit name would read as a version.
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(routing.aliasName) || /^\d+$/.test(routing.aliasName)) {
    throw new DeployRefusedError(`"${routing.aliasName}" is not a valid Lambda alias name.`, 'Set custom.stagegate.alias to letters, digits, - and _ (not digits only), e.g. live.', { alias: routing.aliasName });
  }
  if (routing.servingVersion !== undefined && !/^\d+$/.test(routing.servingVersion)) {
    throw new Error(`invariant: servingVersion must be a published version number, got "${routing.servingVersion}"`);
  }
  if (routing.bundleId !== undefined && !/^[0-9a-f]{64}$/.test(routing.bundleId)) {
    throw new Error(`invariant: bundleId must be a sha256 in lowercase hex, got "${routing.bundleId}"`);
  }
}

/** Serverless' provisionedConcurrency and snapStart add aliases of their own and point events at them. */
function refuseOtherAliases(template: CompiledTemplate, ids: FunctionLogicalIds): void {
  const others = Object.entries(template.Resources)
    .filter(([id, r]) => id !== ids.alias && r.Type === 'AWS::Lambda::Alias' && refersTo(r.Properties?.FunctionName, ids.function))
    .map(([id]) => id);
  if (others.length > 0) {
    throw new DeployRefusedError(
      `${ids.function} already has an alias (${others.join(', ')}) that its events go through, so stagegate cannot route them through its own.`,
      'Remove provisionedConcurrency and snapStart from the promoted function.',
      { function: ids.function, aliases: others },
    );
  }
}

/**
 * The bundle goes on the version (promote reads it back) and on the function:
 * the function's description is part of its configuration, so a deploy that
 * changes only the bundle still publishes a new version with the new stamp
 * (Lambda publishes none when code and configuration are unchanged).
 */
function stampBundle(template: CompiledTemplate, ids: FunctionLogicalIds, bundleId: string): void {
  for (const logicalId of [ids.function, ids.version]) {
    const properties = (template.Resources[logicalId] as CfnResource).Properties ?? {};
    properties.Description = withBundleStamp(typeof properties.Description === 'string' ? properties.Description : '', bundleId);
    (template.Resources[logicalId] as CfnResource).Properties = properties;
  }
}

function withBundleStamp(description: string, bundleId: string): string {
  const stamp = `stagegate bundle ${bundleId}`;
  const base = description.replace(BUNDLE_STAMP, '').trim();
  if (base === '') return stamp;
  const room = MAX_DESCRIPTION - stamp.length - ' ()'.length;
  const kept = base.length <= room ? base : `${base.slice(0, room - 1)}…`;
  return `${kept} (${stamp})`;
}

/** Whether `value` holds a `Ref`, `Fn::GetAtt` or `Fn::Sub` reference to `logicalId` anywhere inside. */
function refersTo(value: unknown, logicalId: string): boolean {
  let found = false;
  replaceReferences(value, logicalId, logicalId, () => (found = true));
  return found;
}

/**
 * A copy of `value` with every reference to the function (`Ref`, `Fn::GetAtt
 * [fn, Arn]`, `${fn}` and `${fn.Arn}` in `Fn::Sub`) replaced by a `Ref` to
 * the alias, whose value is the alias ARN.
 */
function replaceReferences(value: unknown, fn: string, alias: string, onFound: () => void = () => undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => replaceReferences(item, fn, alias, onFound));
  if (value === null || typeof value !== 'object') return value;
  const node = value as Record<string, unknown>;
  const keys = Object.keys(node);
  if (keys.length === 1 && (isRef(node, fn) || isArnGetAtt(node, fn))) {
    onFound();
    return { Ref: alias };
  }
  if (keys.length === 1 && typeof node['Fn::Sub'] === 'string') {
    const sub = new RegExp(`\\$\\{${fn}(\\.Arn)?\\}`, 'g');
    if (sub.test(node['Fn::Sub'])) onFound();
    return { 'Fn::Sub': node['Fn::Sub'].replace(sub, `\${${alias}}`) };
  }
  return Object.fromEntries(keys.map((key) => [key, replaceReferences(node[key], fn, alias, onFound)]));
}

function isRef(node: Record<string, unknown>, logicalId: string): boolean {
  return node.Ref === logicalId;
}

function isArnGetAtt(node: Record<string, unknown>, logicalId: string): boolean {
  const getAtt = node['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return getAtt[0] === logicalId && getAtt[1] === 'Arn';
  return getAtt === `${logicalId}.Arn`;
}
