/**
 * The deployed stack's outputs (the versions the deploy just published),
 * read with an AWS SDK v3 CloudFormation client built from the region and
 * credentials the framework resolved for this command (see
 * `awsClientConfig`), never through the framework's `provider.request`,
 * which Serverless v4 and osls do not promise.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DeployRefusedError } from '../core/errors';
import { awsClientConfig } from '../gate/aws-config';
import type { AwsProvider } from './framework';

/**
 * The stack's outputs by key. `STAGEGATE_CLOUDFORMATION_ENDPOINT` in `env`
 * points the call at a local stand-in, as the other endpoints do. A refused
 * or failed call is `DEPLOY_REFUSED`: no alias has moved yet.
 *
 * @example
 * const outputs = await stackOutputs(serverless.getProvider('aws'), process.env);
 * outputs.ApiLambdaFunctionQualifiedArn; // 'arn:aws:lambda:…:function:app-prod-api:42'
 */
export async function stackOutputs(provider: AwsProvider, env: Record<string, string | undefined>): Promise<Record<string, string>> {
  const endpoint = env.STAGEGATE_CLOUDFORMATION_ENDPOINT;
  const client = new CloudFormationClient({ ...(await awsClientConfig(provider, env)), ...(endpoint ? { endpoint } : {}) });
  const stackName = provider.naming.getStackName();
  try {
    const answer = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs = answer.Stacks?.[0]?.Outputs ?? [];
    return Object.fromEntries(outputs.filter((o) => o.OutputKey && o.OutputValue).map((o) => [o.OutputKey as string, o.OutputValue as string]));
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new DeployRefusedError(
      `The outputs of stack ${stackName} could not be read (cloudformation:DescribeStacks failed: ${reason}), so the gate cannot tell which versions the deploy published. No migration ran and no alias was moved.`,
      'Allow cloudformation:DescribeStacks on the stack for the deploying identity (see the README, IAM for the deployer), then deploy again.',
      { stack: stackName },
    );
  } finally {
    client.destroy();
  }
}
