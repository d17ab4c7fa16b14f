import type { GetSecretValueCommand, GetSecretValueCommandOutput } from '@aws-sdk/client-secrets-manager';
import type { SecretReader } from '../../lib/adapters/lambda/secret-credentials';

/**
 * A Secrets Manager stand-in for unit tests of the credentials logic: each
 * call answers with the next value (an object is sent as its JSON, a string
 * as is, an Error is thrown); the last answer repeats.
 *
 * @example
 * const secrets = new FakeSecrets([{ username: 'app', password: 'old' }, { username: 'app', password: 'new' }]);
 */
export class FakeSecrets implements SecretReader {
  /** The SecretId of every call, in order. */
  readonly requests: (string | undefined)[] = [];

  constructor(private readonly answers: (Record<string, unknown> | string | Error)[]) {}

  async send(command: GetSecretValueCommand): Promise<GetSecretValueCommandOutput> {
    this.requests.push(command.input.SecretId);
    const answer = this.answers[Math.min(this.requests.length, this.answers.length) - 1];
    if (answer instanceof Error) throw answer;
    return { SecretString: typeof answer === 'string' ? answer : JSON.stringify(answer), $metadata: {} };
  }
}
