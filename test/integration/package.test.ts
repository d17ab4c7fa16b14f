import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageService, type PackagedService, type PackagedTemplate } from '../support/package-service';
import { withConditions } from '../support/template-conditions';

// What serverless.yml's params say for each stage packaged here: dev reads
// secrets encrypted with the AWS managed key, staging with a customer key,
// production signs in with RDS IAM tokens. Every stage shares one bundle
// bucket, and each reads the records of the stage before it in the order.
const STAGES = {
  dev: {
    previous: null,
    bucket: 'example-stagegate-123456789012',
    secret: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:stagegate-dev-AbCdEf',
    apiSecret: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app-api-dev-GhIjKl',
    dbResourceId: 'cluster-DEVXXXXXXXXXXXXXXXXXXXXXXX',
    iam: false,
    kmsKey: null,
    vpc: { SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'], SecurityGroupIds: ['sg-0123456789abcdef0'] },
  },
  staging: {
    previous: 'dev',
    bucket: 'example-stagegate-123456789012',
    secret: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:stagegate-staging-AbCdEf',
    apiSecret: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app-api-staging-GhIjKl',
    dbResourceId: 'cluster-STAGINGXXXXXXXXXXXXXXXXXXX',
    iam: false,
    kmsKey: 'arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
    vpc: { SubnetIds: ['subnet-0123456789abcdef2', 'subnet-0123456789abcdef3'], SecurityGroupIds: ['sg-0123456789abcdef1'] },
  },
  production: {
    previous: 'staging',
    bucket: 'example-stagegate-123456789012',
    secret: 'arn:aws:secretsmanager:us-east-1:210987654321:secret:stagegate-production-AbCdEf',
    apiSecret: 'arn:aws:secretsmanager:us-east-1:210987654321:secret:app-api-production-GhIjKl',
    dbResourceId: 'cluster-PRODUCTIONXXXXXXXXXXXXXXXX',
    iam: true,
    kmsKey: null,
    vpc: { SubnetIds: ['subnet-0123456789abcdef4', 'subnet-0123456789abcdef5'], SecurityGroupIds: ['sg-0123456789abcdef2'] },
  },
} as const;
type StageName = keyof typeof STAGES;
type Stage = (typeof STAGES)[StageName];

const DEPLOYER_POLICY = join(__dirname, '../../lib/plugin/deployer-policy.json');
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const API_ROUTES = ['GET /organizations', 'GET /organizations/{id}', 'POST /organizations', 'GET /health'];
const ONE_MB = 1024 * 1024;

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

const packaged = new Map<StageName, PackagedService>();

beforeAll(async () => {
  // One at a time: the framework empties the service's .serverless/ folder
  // when packaging starts, and the plugins write there, whatever --package says.
  for (const stage of Object.keys(STAGES) as StageName[]) packaged.set(stage, await packageService(stage));
}, 120_000);

afterAll(() => packaged.forEach((service) => service.remove()));

function templateOf(stage: StageName): PackagedTemplate {
  const service = packaged.get(stage);
  if (!service) throw new Error(`stage ${stage} was not packaged`);
  return service.template;
}

function properties(template: PackagedTemplate, logicalId: string): Record<string, unknown> {
  const resource = template.Resources[logicalId];
  if (!resource) throw new Error(`the template has no ${logicalId}; it has ${Object.keys(template.Resources).join(', ')}`);
  return resource.Properties;
}

/** Every resource whose properties mention `logicalId` (Ref, GetAtt or Sub), with its type. */
function referencesTo(template: PackagedTemplate, logicalId: string): string[] {
  return Object.entries(template.Resources)
    .filter(([id, r]) => id !== logicalId && JSON.stringify(r.Properties).includes(`"${logicalId}"`))
    .map(([id, r]) => `${id} ${r.Type}`);
}

/** The role's statements as CloudFormation deploys them on this stage. */
function statementsOf(template: PackagedTemplate, roleId: string): Statement[] {
  const policies = withConditions(properties(template, roleId).Policies, template.Conditions ?? {}) as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

function actionsOf(statements: Statement[]): string[] {
  return statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

const sub = (text: string) => ({ 'Fn::Sub': text });

/** lib/plugin/deployer-policy.json with its placeholders filled in for a stage, statements by Sid. */
function deployerPolicy(stage: StageName): Record<string, Statement> {
  const text = readFileSync(DEPLOYER_POLICY, 'utf8')
    .replaceAll('<ACCOUNT_ID>', ACCOUNT)
    .replaceAll('<REGION>', REGION)
    .replaceAll('<STAGE>', stage)
    .replaceAll('<BUNDLE_BUCKET>', STAGES[stage].bucket);
  const statements = (JSON.parse(text) as { Statement: Statement[] }).Statement;
  return Object.fromEntries(statements.map((s) => [s.Sid as string, s]));
}

/** Whether one of a statement's resource patterns covers `arn` (`*` matches anything, as in IAM). */
function covers(statement: Statement | undefined, arn: string): boolean {
  const patterns = statement === undefined ? [] : Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
  return patterns.some((pattern) => typeof pattern === 'string' && globMatches(pattern, arn));
}

function globMatches(pattern: string, text: string): boolean {
  const literals = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${literals.join('.*')}$`).test(text);
}

/** The statements both roles share: their own log group and the network interfaces of a function in a VPC. */
function commonStatements(logGroup: string): { logs: Statement; network: Statement[] } {
  return {
    logs: { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] } },
    network: [
      // Describe actions have no resource-level permissions: AWS requires "*".
      { Sid: 'DescribeNetworkInterfaces', Effect: 'Allow', Action: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], Resource: '*' },
      {
        Sid: 'ManageNetworkInterfaces',
        Effect: 'Allow',
        Action: ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        Resource: sub('arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:*/*'),
      },
    ],
  };
}

/** How a role reaches the database on a stage: a secret (with its key when it is a customer's) or an RDS IAM user. */
function databaseStatements(stage: Stage, who: { sid: string; secret: string; user: string }): Statement[] {
  if (stage.iam) {
    const arn = `arn:\${AWS::Partition}:rds-db:\${AWS::Region}:\${AWS::AccountId}:dbuser:${stage.dbResourceId}/${who.user}`;
    return [{ Sid: `ConnectAs${who.sid}User`, Effect: 'Allow', Action: 'rds-db:connect', Resource: sub(arn) }];
  }
  const secret: Statement = { Sid: `Read${who.sid}Secret`, Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: who.secret };
  if (stage.kmsKey === null) return [secret];
  const condition = { StringEquals: { 'kms:ViaService': sub('secretsmanager.${AWS::Region}.amazonaws.com'), 'kms:EncryptionContext:SecretARN': who.secret } };
  return [secret, { Sid: `Decrypt${who.sid}Secret`, Effect: 'Allow', Action: 'kms:Decrypt', Resource: stage.kmsKey, Condition: condition }];
}

describe.each(Object.keys(STAGES) as StageName[])('serverless package --stage %s', (stage) => {
  const params = STAGES[stage];

  it('routes every httpApi integration and invoke permission of api through the live alias', () => {
    // Prepare
    const template = templateOf(stage);
    const aliases = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Alias');
    // Assess
    expect(aliases.map(([id]) => id)).toEqual(['ApiLambdaAliasLive']);
    const alias = properties(template, 'ApiLambdaAliasLive');
    expect(alias).toMatchObject({ Name: 'live', FunctionName: { Ref: 'ApiLambdaFunction' } });
    const integrations = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Integration');
    expect(integrations.map(([, r]) => r.Properties.IntegrationUri)).toEqual([{ Ref: 'ApiLambdaAliasLive' }]);
    const permissions = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Permission');
    expect(permissions.map(([id, r]) => [id, r.Properties.FunctionName])).toEqual([['ApiLambdaPermissionHttpApi', { Ref: 'ApiLambdaAliasLive' }]]);
    const routes = Object.values(template.Resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Route');
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual([...API_ROUTES].sort());
    // Only the alias and the published version name the bare function.
    expect(referencesTo(template, 'ApiLambdaFunction').sort()).toEqual([
      'ApiLambdaAliasLive AWS::Lambda::Alias',
      expect.stringMatching(/^ApiLambdaVersion\w+ AWS::Lambda::Version$/),
    ]);
  });

  it('points the alias at the version it publishes, stamped with the bundle, and outputs both', () => {
    // Prepare
    const template = templateOf(stage);
    const [version] = Object.entries(template.Resources).filter(([id]) => id.startsWith('ApiLambdaVersion'));
    // Assess
    expect(version).toBeDefined();
    const [versionId, resource] = version as [string, { Properties: Record<string, unknown> }];
    // Packaging reads no AWS state, so nothing serves yet: the alias takes the new version.
    expect(properties(template, 'ApiLambdaAliasLive').FunctionVersion).toEqual({ 'Fn::GetAtt': [versionId, 'Version'] });
    expect(resource.Properties.Description).toMatch(/^The organizations HTTP API \(stagegate bundle [0-9a-f]{64}\)$/);
    expect(template.Outputs).toMatchObject({
      ApiLambdaFunctionQualifiedArn: { Value: { Ref: versionId } },
      ApiLambdaAliasLiveArn: { Value: { Ref: 'ApiLambdaAliasLive' } },
      ApiLambdaPublishedVersion: { Value: { 'Fn::GetAtt': [versionId, 'Version'] } },
    });
  });

  it('gives migrate no events, 900 s, 128 MB and no asynchronous retries', () => {
    // Prepare
    const template = templateOf(stage);
    // Assess
    expect(referencesTo(template, 'MigrateLambdaFunction').sort()).toEqual([
      'MigrateLambdaEvConf AWS::Lambda::EventInvokeConfig',
      expect.stringMatching(/^MigrateLambdaVersion\w+ AWS::Lambda::Version$/),
    ]);
    expect(properties(template, 'MigrateLambdaFunction')).toMatchObject({ Timeout: 900, MemorySize: 128, Handler: 'handlers/migrate.handler' });
    expect(properties(template, 'MigrateLambdaEvConf')).toMatchObject({ MaximumRetryAttempts: 0 });
  });

  it('runs both functions on nodejs22.x in the stage\'s VPC, each with its own database user', () => {
    // Prepare
    const template = templateOf(stage);
    const migrate = properties(template, 'MigrateLambdaFunction');
    const api = properties(template, 'ApiLambdaFunction');
    // Assess
    expect(api).toMatchObject({ Runtime: 'nodejs22.x', MemorySize: 256, Timeout: 10, Handler: 'handlers/api.handler' });
    expect(migrate.Runtime).toBe('nodejs22.x');
    expect(migrate.VpcConfig).toEqual(params.vpc);
    expect(api.VpcConfig).toEqual(params.vpc);
    const database = (fn: Record<string, unknown>) => {
      const vars = (fn.Environment as { Variables: Record<string, string> }).Variables;
      return { secret: vars.STAGEGATE_DB_SECRET_ARN, user: vars.DB_USER, iam: vars.STAGEGATE_DB_IAM };
    };
    expect(database(migrate)).toEqual({ secret: params.secret, user: 'stagegate', iam: String(params.iam) });
    // The stage order reaches the migrate function only.
    const variables = (fn: Record<string, unknown>) => (fn.Environment as { Variables: Record<string, string> }).Variables;
    expect(variables(migrate)).toMatchObject({ STAGEGATE_STAGE: stage, STAGEGATE_STAGES: 'dev,staging,production' });
    expect(variables(api).STAGEGATE_STAGES).toBeUndefined();
    expect(database(api)).toEqual({ secret: params.apiSecret, user: 'app_api', iam: String(params.iam) });
  });

  it('gives migrate a role of its own with exactly the scoped statements', () => {
    // Prepare
    const template = templateOf(stage);
    const { logs, network } = commonStatements('MigrateLogGroup');
    const records = `arn:\${AWS::Partition}:s3:::${params.bucket}/stagegate/stages/${stage}/*`;
    // The first stage reads no other stage's record; every later one reads only the previous stage's.
    const readPrevious: Statement[] =
      params.previous === null
        ? []
        : [{ Sid: 'ReadPreviousStageRecord', Effect: 'Allow', Action: 's3:GetObject', Resource: sub(`arn:\${AWS::Partition}:s3:::${params.bucket}/stagegate/stages/${params.previous}/*`) }];
    // Assess
    expect(properties(template, 'MigrateLambdaFunction').Role).toEqual({ 'Fn::GetAtt': ['MigrateRole', 'Arn'] });
    expect(properties(template, 'MigrateLogGroup').LogGroupName).toBe(`/aws/lambda/stagegate-${stage}-migrate`);
    expect(statementsOf(template, 'MigrateRole')).toEqual([
      logs,
      { Sid: 'ReadBundles', Effect: 'Allow', Action: 's3:GetObject', Resource: sub(`arn:\${AWS::Partition}:s3:::${params.bucket}/stagegate/bundles/*`) },
      { Sid: 'WriteOwnStageRecords', Effect: 'Allow', Action: 's3:PutObject', Resource: sub(records) },
      ...readPrevious,
      ...databaseStatements(params, { sid: 'Migration', secret: params.secret, user: 'stagegate' }),
      ...network,
    ]);
  });

  it('gives api a role of its own: its logs, its database user, nothing of migrate\'s', () => {
    // Prepare
    const template = templateOf(stage);
    const { logs, network } = commonStatements('ApiLogGroup');
    const statements = statementsOf(template, 'ApiRole');
    // Assess
    expect(properties(template, 'ApiLambdaFunction').Role).toEqual({ 'Fn::GetAtt': ['ApiRole', 'Arn'] });
    expect(statements).toEqual([logs, ...databaseStatements(params, { sid: 'Api', secret: params.apiSecret, user: 'app_api' }), ...network]);
    expect(actionsOf(statements).filter((action) => action.startsWith('s3:'))).toEqual([]);
    expect(JSON.stringify(statements)).not.toContain(params.secret);
    expect(JSON.stringify(statements)).not.toContain('/stagegate"');
  });

  it('grants migrate nothing beside its inline statements: no managed policy, no other IAM resource, no credential in its settings', () => {
    // Prepare
    const template = templateOf(stage);
    const role = properties(template, 'MigrateRole');
    const environment = (properties(template, 'MigrateLambdaFunction').Environment as { Variables: Record<string, string> }).Variables;
    // Assess: only Lambda may take the role, and nothing attaches more to it
    expect(Object.keys(role).sort()).toEqual(['AssumeRolePolicyDocument', 'Policies', 'RoleName']);
    expect(role.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    const iamTypes = Object.values(template.Resources).map((r) => r.Type).filter((type) => type.startsWith('AWS::IAM::'));
    expect(iamTypes).toEqual(['AWS::IAM::Role', 'AWS::IAM::Role']);
    // Resource policies in the stack only deny (the deployment bucket refuses plain HTTP)
    const bucketPolicies = Object.values(template.Resources).filter((r) => r.Type === 'AWS::S3::BucketPolicy');
    const effects = bucketPolicies.flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement.map((s) => s.Effect));
    expect(new Set(effects)).toEqual(new Set(['Deny']));
    // It names its secret; it never carries a password or a URL with credentials
    expect(Object.keys(environment).filter((name) => /PASSWORD|SECRET(?!_ARN)|TOKEN|DATABASE_URL/.test(name))).toEqual([]);
    expect(Object.values(environment).filter((value) => /:\/\/[^/\s]*:[^/\s]*@/.test(String(value)))).toEqual([]);
  });

  it('grants no wildcard action, and "*" resources only for the Describe actions', () => {
    // Prepare
    const template = templateOf(stage);
    const roles = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Role');
    const statements = roles.flatMap(([id]) => statementsOf(template, id));
    // Assess
    expect(roles.map(([id]) => id).sort()).toEqual(['ApiRole', 'MigrateRole']);
    expect(actionsOf(statements).filter((action) => action.includes('*'))).toEqual([]);
    expect(statements.filter((s) => s.Resource === '*').map((s) => s.Sid)).toEqual(['DescribeNetworkInterfaces', 'DescribeNetworkInterfaces']);
  });

  it('is deployable with lib/plugin/deployer-policy.json: it covers what this stage creates and what the gate calls', () => {
    // Prepare
    const template = templateOf(stage);
    const policy = deployerPolicy(stage);
    const lambdaArn = (logicalId: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${String(properties(template, logicalId).FunctionName)}`;
    // Assess
    expect(actionsOf(Object.values(policy)).filter((action) => action.includes('*'))).toEqual([]);
    expect(covers(policy.StagegateInvokeMigrate, lambdaArn('MigrateLambdaFunction'))).toBe(true);
    expect(covers(policy.StagegateMoveLiveAlias, `${lambdaArn('ApiLambdaFunction')}:live`)).toBe(true);
    expect(covers(policy.StagegateMoveLiveAlias, `${lambdaArn('ApiLambdaFunction')}:7`)).toBe(true);
    expect(covers(policy.StagegatePublishBundles, `arn:aws:s3:::${params.bucket}/stagegate/bundles/${'a'.repeat(64)}.json.gz`)).toBe(true);
    for (const fn of ['MigrateLambdaFunction', 'ApiLambdaFunction']) expect(covers(policy.ServerlessFunctions, lambdaArn(fn))).toBe(true);
    for (const role of ['MigrateRole', 'ApiRole']) {
      const arn = `arn:aws:iam::${ACCOUNT}:role/${String(properties(template, role).RoleName)}`;
      expect([covers(policy.ServerlessFunctionRoles, arn), covers(policy.ServerlessPassFunctionRoles, arn)]).toEqual([true, true]);
    }
    for (const group of ['MigrateLogGroup', 'ApiLogGroup']) {
      expect(covers(policy.ServerlessLogGroups, `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${String(properties(template, group).LogGroupName)}`)).toBe(true);
    }
  });

  it('keeps both zips under 1 MB', () => {
    // Assess
    const { zipBytes } = packaged.get(stage) as PackagedService;
    expect(zipBytes.migrate).toBeLessThan(ONE_MB);
    expect(zipBytes.api).toBeLessThan(ONE_MB);
  });
});
