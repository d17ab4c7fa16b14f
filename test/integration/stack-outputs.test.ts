import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AwsProvider } from '../../lib/plugin/framework';
import { gateClients } from '../../lib/plugin/gate-clients';
import { stackOutputs } from '../../lib/plugin/stack-outputs';
import { failure } from '../support/failure';

/**
 * The plugin reads the published versions with the SDK's own CloudFormation
 * client, over HTTP, against a stand-in that answers DescribeStacks as the
 * service does (there is no CloudFormation emulator to run offline).
 */
const STACK = `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult><Stacks><member>
    <StackName>shop-prod</StackName><StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/shop-prod/1</StackId>
    <CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>UPDATE_COMPLETE</StackStatus>
    <Outputs>
      <member><OutputKey>ApiLambdaFunctionQualifiedArn</OutputKey><OutputValue>arn:aws:lambda:eu-west-1:123456789012:function:shop-prod-api:42</OutputValue></member>
      <member><OutputKey>ServiceEndpoint</OutputKey><OutputValue>https://api.example.test</OutputValue></member>
    </Outputs>
  </member></Stacks></DescribeStacksResult>
  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>
</DescribeStacksResponse>`;
const DENIED = `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform: cloudformation:DescribeStacks</Message></Error>
  <RequestId>r-2</RequestId>
</ErrorResponse>`;

interface Seen {
  body: string;
  authorization: string;
}

describe('Integration: the stack outputs the deploy gate reads', () => {
  let server: Server;
  let answer: { status: number; body: string };
  let seen: Seen[];
  let env: Record<string, string>;

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        seen.push({ body, authorization: String(request.headers.authorization ?? '') });
        response.writeHead(answer.status, { 'content-type': 'text/xml' }).end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    env = { STAGEGATE_CLOUDFORMATION_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen = [];
    answer = { status: 200, body: STACK };
  });

  const naming = { getStackName: () => 'shop-prod', getLambdaVersionOutputLogicalId: (key: string) => `${key}LambdaFunctionQualifiedArn` };
  const v4: AwsProvider = {
    naming,
    getStage: () => 'prod',
    getRegion: () => 'us-east-1',
    getAwsSdkV3Config: () => ({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDFROMFRAMEWORK', secretAccessKey: 'secret-from-framework' } }),
  };

  it('reads them with the region and credentials the framework resolved, not through provider.request', async () => {
    // Act
    const outputs = await stackOutputs(v4, env);
    // Assess
    expect(outputs).toEqual({ ApiLambdaFunctionQualifiedArn: 'arn:aws:lambda:eu-west-1:123456789012:function:shop-prod-api:42', ServiceEndpoint: 'https://api.example.test' });
    expect(seen).toHaveLength(1);
    expect(new URLSearchParams(seen[0]!.body).get('Action')).toBe('DescribeStacks');
    expect(new URLSearchParams(seen[0]!.body).get('StackName')).toBe('shop-prod');
    expect(seen[0]!.authorization).toContain('Credential=AKIDFROMFRAMEWORK/');
    expect(seen[0]!.authorization).toContain('/eu-west-1/cloudformation/aws4_request');
  });

  it("takes Serverless v3's region and v2 credentials where the framework has no SDK v3 settings", async () => {
    // Prepare
    const v3: AwsProvider = {
      naming,
      getStage: () => 'prod',
      getRegion: () => 'ap-southeast-2',
      getCredentials: () => ({ credentials: { accessKeyId: 'AKIDFROMPROFILE', secretAccessKey: 'secret-from-profile' } }),
    };
    // Act
    const outputs = await stackOutputs(v3, env);
    // Assess
    expect(Object.keys(outputs)).toEqual(['ApiLambdaFunctionQualifiedArn', 'ServiceEndpoint']);
    expect(seen[0]!.authorization).toContain('Credential=AKIDFROMPROFILE/');
    expect(seen[0]!.authorization).toContain('/ap-southeast-2/cloudformation/aws4_request');
  });

  describe("Serverless v3 with a provider.profile its SDK v2 cannot read (an SSO-only profile)", () => {
    // The profile is in the shared config file only, which SDK v2 does not read without AWS_SDK_LOAD_CONFIG and
    // SDK v3 does: as with an SSO profile, v3's getCredentials() refuses it and the SDK v3 chain can resolve it.
    const saved = { ...process.env };
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'stagegate-profile-'));
      writeFileSync(join(dir, 'config'), '[profile deploy-sso]\naws_access_key_id = AKIDFROMNAMEDPROFILE\naws_secret_access_key = secret-of-named-profile\n\n[default]\naws_access_key_id = AKIDFROMDEFAULT\naws_secret_access_key = secret-of-default\n');
      writeFileSync(join(dir, 'credentials'), '');
      for (const key of ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SDK_LOAD_CONFIG', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROD_PROFILE']) delete process.env[key];
      Object.assign(process.env, { AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') });
    });
    afterAll(() => {
      process.env = saved;
      rmSync(dir, { recursive: true, force: true });
    });
    // The framework's own provider class, as `serverless deploy` builds it for `provider.profile: deploy-sso`.
    const frameworkProvider = (): AwsProvider => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the framework ships no types for its provider
      const ServerlessAwsProvider = require('serverless/lib/plugins/aws/provider.js') as new (serverless: unknown, options: unknown) => AwsProvider;
      const serverless = { setProvider: () => undefined, config: {}, service: { service: 'shop', provider: { profile: 'deploy-sso', region: 'eu-west-1' } } };
      return new ServerlessAwsProvider(serverless, { stage: 'prod' });
    };

    it('signs the gate\'s calls with that profile\'s keys, not the default profile\'s', async () => {
      // Prepare
      const provider = frameworkProvider();
      const refusal = (() => {
        try {
          return provider.getCredentials?.();
        } catch (error) {
          return error as { code?: string };
        }
      })();
      const clients = await gateClients(provider, { STAGEGATE_S3_ENDPOINT: env.STAGEGATE_CLOUDFORMATION_ENDPOINT!, STAGEGATE_LAMBDA_ENDPOINT: env.STAGEGATE_CLOUDFORMATION_ENDPOINT! });
      // Act
      const outputs = await stackOutputs(provider, env);
      try {
        await clients.s3.send(new HeadObjectCommand({ Bucket: 'deploys', Key: 'bundle.json.gz' })).catch(() => undefined);
        await clients.lambda.send(new GetFunctionCommand({ FunctionName: 'shop-prod-migrate' })).catch(() => undefined);
      } finally {
        clients.destroy();
      }
      // Assess
      expect(refusal).toMatchObject({ code: 'UNRECOGNIZED_AWS_PROFILE' });
      expect(Object.keys(outputs)).toEqual(['ApiLambdaFunctionQualifiedArn', 'ServiceEndpoint']);
      expect(seen.map((request) => /Credential=([A-Z]+)\/[0-9]+\/([a-z0-9-]+)\/([a-z0-9]+)\//.exec(request.authorization)?.slice(1))).toEqual([
        ['AKIDFROMNAMEDPROFILE', 'eu-west-1', 'cloudformation'],
        ['AKIDFROMNAMEDPROFILE', 'eu-west-1', 's3'],
        ['AKIDFROMNAMEDPROFILE', 'eu-west-1', 'lambda'],
      ]);
    });
  });

  it('refuses the deploy, naming the stack and the permission, when the call is denied', async () => {
    // Prepare
    answer = { status: 403, body: DENIED };
    // Act
    const error = await failure(stackOutputs(v4, env));
    // Assess
    expect(error.code).toBe('DEPLOY_REFUSED');
    expect(error.message).toContain('stack shop-prod');
    expect(error.message).toContain('AccessDenied');
    expect(error.message).toContain('No migration ran and no alias was moved');
    expect(error.remedy).toContain('cloudformation:DescribeStacks');
    expect(`${error.message} ${error.remedy}`).not.toContain('secret-from-framework');
  });
});
