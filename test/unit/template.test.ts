import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeployRefusedError } from '../../lib/core/errors';
import { aliasLogicalId, findFunctionLogicalIds, functionLogicalId, normalizedFunctionName, routeThroughAlias, type CompiledTemplate } from '../../lib/plugin/template';

// The template `serverless package --stage dev` compiled from this service's
// serverless.yml with one REST event (`http: GET /status`) added to `api`,
// so that both event kinds are covered; the deployment bucket, the roles, the
// REST deployment and the HTTP API stage were left out.
const FIXTURE = join(__dirname, '../fixtures/serverless-compiled-template.json');
const VERSION = 'ApiLambdaVersionKIsP8oFtAFKYMBlLiqMKg1zXOpnD1lMmkkvHm0xWVk';
const BUNDLE = 'a'.repeat(64);
const ALIAS_REF = { Ref: 'ApiLambdaAliasLive' };

function compiledTemplate(): CompiledTemplate {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as CompiledTemplate;
}

function properties(template: CompiledTemplate, logicalId: string): Record<string, unknown> {
  const resource = template.Resources[logicalId];
  if (!resource?.Properties) throw new Error(`the template has no ${logicalId} with properties`);
  return resource.Properties;
}

function refusal(act: () => unknown): DeployRefusedError {
  try {
    act();
  } catch (error) {
    if (error instanceof DeployRefusedError) return error;
    throw error;
  }
  throw new Error('expected a DeployRefusedError, but nothing was thrown');
}

describe('Function: routeThroughAlias', () => {
  it('adds the alias on the new version when nothing serves yet', () => {
    // Prepare
    const template = compiledTemplate();
    // Act
    const ids = routeThroughAlias(template, { functionKey: 'api', aliasName: 'live' });
    // Assess
    expect(ids).toEqual({
      function: 'ApiLambdaFunction',
      version: VERSION,
      alias: 'ApiLambdaAliasLive',
      aliasArnOutput: 'ApiLambdaAliasLiveArn',
      publishedVersionOutput: 'ApiLambdaPublishedVersion',
    });
    expect(template.Resources.ApiLambdaAliasLive).toEqual({
      Type: 'AWS::Lambda::Alias',
      Properties: { Name: 'live', FunctionName: { Ref: 'ApiLambdaFunction' }, FunctionVersion: { 'Fn::GetAtt': [VERSION, 'Version'] } },
    });
  });

  it('keeps the alias on the serving version, so the stack update does not move it', () => {
    // Prepare
    const template = compiledTemplate();
    // Act
    routeThroughAlias(template, { functionKey: 'api', aliasName: 'live', servingVersion: '12' });
    // Assess
    expect(properties(template, 'ApiLambdaAliasLive').FunctionVersion).toBe('12');
  });

  it('points the httpApi integration and its invoke permission at the alias ARN', () => {
    // Prepare
    const template = compiledTemplate();
    // Act
    routeThroughAlias(template, { functionKey: 'api', aliasName: 'live' });
    // Assess
    expect(properties(template, 'HttpApiIntegrationApi').IntegrationUri).toEqual(ALIAS_REF);
    expect(properties(template, 'ApiLambdaPermissionHttpApi').FunctionName).toEqual(ALIAS_REF);
  });

  it('points the REST method integration and its invoke permission at the alias ARN', () => {
    // Prepare
    const template = compiledTemplate();
    // Act
    routeThroughAlias(template, { functionKey: 'api', aliasName: 'live' });
    // Assess
    const uri = (properties(template, 'ApiGatewayMethodStatusGet').Integration as { Uri: { 'Fn::Join': [string, unknown[]] } }).Uri;
    expect(uri['Fn::Join'][1]).toContainEqual(ALIAS_REF);
    expect(JSON.stringify(uri)).not.toContain('ApiLambdaFunction');
    expect(properties(template, 'ApiLambdaPermissionApiGateway').FunctionName).toEqual(ALIAS_REF);
  });

  it('leaves no event of the function on $LATEST and leaves other functions alone', () => {
    // Prepare
    const template = compiledTemplate();
    const migrateBefore = JSON.stringify([template.Resources.MigrateLambdaFunction, template.Resources.MigrateLambdaEvConf]);
    // Act
    routeThroughAlias(template, { functionKey: 'api', aliasName: 'live' });
    // Assess
    const stillOnFunction = Object.entries(template.Resources)
      .filter(([id, r]) => id !== 'ApiLambdaAliasLive' && r.Type !== 'AWS::Lambda::Version' && JSON.stringify(r.Properties).includes('"ApiLambdaFunction"'))
      .map(([id]) => id);
    expect(stillOnFunction).toEqual([]);
    expect(JSON.stringify([template.Resources.MigrateLambdaFunction, template.Resources.MigrateLambdaEvConf])).toBe(migrateBefore);
  });

  it('stamps the bundle on the new version and on the function, keeping their descriptions', () => {
    // Prepare
    const template = compiledTemplate();
    // Act
    routeThroughAlias(template, { functionKey: 'api', aliasName: 'live', bundleId: BUNDLE });
    // Assess
    expect(properties(template, VERSION).Description).toBe(`The organizations HTTP API (stagegate bundle ${BUNDLE})`);
    expect(properties(template, 'ApiLambdaFunction').Description).toBe(`The organizations HTTP API (stagegate bundle ${BUNDLE})`);
  });

  it('stamps a version without a description with the bundle alone, and keeps stamps within 256 characters', () => {
    // Prepare
    const bare = compiledTemplate();
    delete properties(bare, VERSION).Description;
    const long = compiledTemplate();
    properties(long, VERSION).Description = 'x'.repeat(256);
    // Act
    routeThroughAlias(bare, { functionKey: 'api', aliasName: 'live', bundleId: BUNDLE });
    routeThroughAlias(long, { functionKey: 'api', aliasName: 'live', bundleId: BUNDLE });
    // Assess
    expect(properties(bare, VERSION).Description).toBe(`stagegate bundle ${BUNDLE}`);
    const stamped = properties(long, VERSION).Description as string;
    expect(stamped.length).toBeLessThanOrEqual(256);
    expect(stamped.endsWith(`(stagegate bundle ${BUNDLE})`)).toBe(true);
  });

  it('adds outputs for the alias ARN and the new version, beside Serverless\' own qualified ARN', () => {
    // Prepare
    const template = compiledTemplate();
    // Act
    routeThroughAlias(template, { functionKey: 'api', aliasName: 'live' });
    // Assess
    expect(template.Outputs).toMatchObject({
      ApiLambdaFunctionQualifiedArn: { Value: { Ref: VERSION } },
      ApiLambdaAliasLiveArn: { Value: ALIAS_REF },
      ApiLambdaPublishedVersion: { Value: { 'Fn::GetAtt': [VERSION, 'Version'] } },
    });
  });

  it('gives the same template when applied twice', () => {
    // Prepare
    const once = compiledTemplate();
    routeThroughAlias(once, { functionKey: 'api', aliasName: 'live', servingVersion: '3', bundleId: BUNDLE });
    const twice = JSON.parse(JSON.stringify(once)) as CompiledTemplate;
    // Act
    routeThroughAlias(twice, { functionKey: 'api', aliasName: 'live', servingVersion: '3', bundleId: BUNDLE });
    // Assess
    expect(twice).toEqual(once);
  });

  it('refuses a function the template does not have', () => {
    // Act
    const error = refusal(() => routeThroughAlias(compiledTemplate(), { functionKey: 'orders', aliasName: 'live' }));
    // Assess
    expect(error.code).toBe('DEPLOY_REFUSED');
    expect(error.message).toContain('no function "orders" (no OrdersLambdaFunction resource)');
    expect(error.remedy).toContain('custom.stagegate.promote');
  });

  it('refuses a function without a version resource (versionFunctions: false)', () => {
    // Prepare
    const template = compiledTemplate();
    delete template.Resources[VERSION];
    // Act
    const error = refusal(() => routeThroughAlias(template, { functionKey: 'api', aliasName: 'live' }));
    // Assess
    expect(error.message).toContain('has no AWS::Lambda::Version resource');
    expect(error.remedy).toContain('versionFunctions: false');
  });

  it('refuses an event that would keep invoking $LATEST, naming its resource', () => {
    // Prepare
    const template = compiledTemplate();
    template.Resources.ApiLambdaFunctionUrl = { Type: 'AWS::Lambda::Url', Properties: { AuthType: 'NONE', TargetFunctionArn: { 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] } } };
    // Act
    const error = refusal(() => routeThroughAlias(template, { functionKey: 'api', aliasName: 'live' }));
    // Assess
    expect(error.message).toContain('ApiLambdaFunctionUrl (AWS::Lambda::Url)');
    expect(error.details).toEqual({ function: 'api', resources: ['ApiLambdaFunctionUrl (AWS::Lambda::Url)'] });
  });

  it('refuses a function that Serverless already fronts with an alias of its own', () => {
    // Prepare
    const template = compiledTemplate();
    template.Resources.ApiProvConcLambdaAlias = { Type: 'AWS::Lambda::Alias', Properties: { Name: 'provisioned', FunctionName: { Ref: 'ApiLambdaFunction' }, FunctionVersion: '1' } };
    // Act
    const error = refusal(() => routeThroughAlias(template, { functionKey: 'api', aliasName: 'live' }));
    // Assess
    expect(error.message).toContain('ApiProvConcLambdaAlias');
    expect(error.remedy).toContain('provisionedConcurrency');
  });

  it('refuses an alias name Lambda would reject', () => {
    // Act
    const errors = ['12', 'live now', ''].map((aliasName) => refusal(() => routeThroughAlias(compiledTemplate(), { functionKey: 'api', aliasName })));
    // Assess
    expect(errors.map((e) => e.remedy)).toEqual(Array(3).fill(expect.stringContaining('custom.stagegate.alias')));
  });
});

describe('Logical ids', () => {
  it('follow Serverless v3 naming for function keys with dashes and underscores', () => {
    // Assess
    expect(normalizedFunctionName('orders-api')).toBe('OrdersDashapi');
    expect(functionLogicalId('orders_api')).toBe('OrdersUnderscoreapiLambdaFunction');
    expect(aliasLogicalId('api', 'live-v2')).toBe('ApiLambdaAliasLivev2');
  });

  it('are found for a function of a compiled template', () => {
    // Act
    const ids = findFunctionLogicalIds(compiledTemplate(), 'migrate', 'live');
    // Assess
    expect(ids.function).toBe('MigrateLambdaFunction');
    expect(ids.version).toMatch(/^MigrateLambdaVersion[0-9A-Za-z]+$/);
  });
});
