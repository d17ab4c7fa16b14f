/**
 * The remedy when TLS is asked of a server without it, for the connections
 * the migrate function makes from a secret (or IAM): there is no URL, TLS
 * comes from STAGEGATE_DB_TLS, so "sslmode=disable in the URL" cannot be
 * followed.
 */
import { credentialsConnection } from '../../lib/adapters/lambda/connections';
import { TlsMode } from '../../lib/adapters/lambda/environment-database';
import { withClient } from '../../lib/adapters/postgres/connect';
import { useTestDatabase } from '../support/database';

const database = useTestDatabase('file');

describe('Integration: a server without TLS, reached with the credentials of a secret', () => {
  it('names STAGEGATE_DB_TLS, not a URL the function does not have', async () => {
    // Prepare: the test server offers no TLS; the secret's credentials with the default STAGEGATE_DB_TLS=verify
    const url = new URL(database.url);
    const credentials = { host: url.hostname, port: Number(url.port), database: url.pathname.slice(1), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
    const { connection } = credentialsConnection(credentials, TlsMode.VERIFY);
    // Act
    const failure = await withClient(connection, { connectTimeoutMs: 5_000 }, async () => 'ran').then(
      () => null,
      (error: { code?: string; remedy?: string }) => error,
    );
    // Assess
    expect(failure).toMatchObject({ code: 'DATABASE_UNREACHABLE' });
    expect(failure?.remedy).toContain('STAGEGATE_DB_TLS');
    expect(failure?.remedy).not.toContain('set sslmode=disable in the URL');
  });
});
