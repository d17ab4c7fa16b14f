import type pg from 'pg';
import { API_APPLICATION_NAME, DEFAULT_POOL_TIMEOUTS, poolSettings } from '../../lib/api/pool-options';

describe('Function: poolSettings', () => {
  it('keeps one connection for the life of the instance, within the timeouts', async () => {
    // Act
    const { options, target } = await poolSettings('postgres://app:pw@db.internal:6432/app', DEFAULT_POOL_TIMEOUTS);
    // Assess
    expect(options).toMatchObject({
      connectionString: 'postgres://app:pw@db.internal:6432/app',
      application_name: API_APPLICATION_NAME,
      max: 1,
      idleTimeoutMillis: 0,
      allowExitOnIdle: true,
      connectionTimeoutMillis: 3_000,
      statement_timeout: 4_000,
      query_timeout: 5_000,
    });
    expect(target).toEqual({ user: 'app', host: 'db.internal', port: '6432', database: 'app' });
  });

  it('asks a connection factory again for the password of every new connection, as IAM tokens expire', async () => {
    // Prepare
    let signed = 0;
    const factory = async (): Promise<pg.ClientConfig> => ({ host: 'db', port: 5432, database: 'app', user: 'api', password: `token-${++signed}`, ssl: { rejectUnauthorized: true } });
    // Act
    const { options, target } = await poolSettings(factory, DEFAULT_POOL_TIMEOUTS);
    const password = options.password as () => Promise<string>;
    const passwords = [await password(), await password()];
    // Assess
    expect(passwords).toEqual(['token-2', 'token-3']);
    expect(options).toMatchObject({ host: 'db', user: 'api', ssl: { rejectUnauthorized: true }, max: 1 });
    expect(target).toEqual({ user: 'api', host: 'db', port: '5432', database: 'app' });
  });

  it('leaves the password to a URL the factory returns', async () => {
    // Act
    const { options } = await poolSettings(async () => ({ connectionString: 'postgres://app:pw@localhost/app', ssl: false }), DEFAULT_POOL_TIMEOUTS);
    // Assess
    expect(options.password).toBeUndefined();
    expect(options.ssl).toBe(false);
  });

  it('lets the connection name its own application', async () => {
    // Act
    const { options } = await poolSettings(async () => ({ host: 'db', application_name: 'billing' }), DEFAULT_POOL_TIMEOUTS);
    // Assess
    expect(options.application_name).toBe('billing');
  });
});
