import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { SecretDatabase } from '../../lib/adapters/lambda/environment-database';
import type { CredentialClients } from '../../lib/adapters/lambda/with-lambda-database';
import { PgApiDatabase } from '../../lib/api/pg-api-database';
import { MigrationRunnerError } from '../../lib/core/errors';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FakeSecrets } from '../support/fake-secrets';
import { MemoryLogger } from '../support/workspace';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:test/api-AbCdEf';
const SECRET: SecretDatabase = { kind: 'secret', secretArn: ARN, region: 'us-east-1', overrides: {}, tls: 'disable' };

const clientsWith = (secrets: FakeSecrets): CredentialClients => ({
  secrets: () => secrets,
  signer: () => ({ getAuthToken: () => Promise.reject(new Error('no IAM in this test')) }),
});

const backendPid = (client: pg.ClientBase): Promise<number> => client.query<{ pid: number }>('select pg_backend_pid() as pid').then((r) => r.rows[0]?.pid ?? -1);

describe('Integration: the API pool (PgApiDatabase) against a real PostgreSQL', () => {
  let db: TestDatabase;
  let logger: MemoryLogger;
  let database: PgApiDatabase | null;
  beforeEach(async () => {
    db = await createTestDatabase();
    logger = new MemoryLogger();
    database = null;
  });
  afterEach(async () => {
    await database?.close();
    await db.drop();
  });

  const urlDatabase = (): PgApiDatabase => new PgApiDatabase({ kind: 'url', url: db.url, tls: 'disable' }, { clients: clientsWith(new FakeSecrets([])), logger });

  it('keeps one connection across requests, even after the server answered with an error', async () => {
    // Prepare
    database = urlDatabase();
    const first = await database.withClient(backendPid, { idempotent: true });
    // Act
    const failure = await database.withClient((client) => client.query('select nope'), { idempotent: true }).catch((error: unknown) => error);
    const second = await database.withClient(backendPid, { idempotent: true });
    // Assess
    expect(failure).toBeInstanceOf(pg.DatabaseError);
    expect(second).toBe(first);
  });

  it('runs a read once more on a new connection when its connection dies, but never repeats a write', async () => {
    // Prepare: each attempt ends its own session before querying, as a connection lost while frozen would fail
    database = urlDatabase();
    const attempts = { read: 0, write: 0 };
    const dyingOnce = (kind: 'read' | 'write') => async (client: pg.ClientBase) => {
      attempts[kind] += 1;
      if (attempts[kind] === 1) await client.query('select pg_terminate_backend(pg_backend_pid())').catch(() => undefined);
      return backendPid(client);
    };
    // Act
    const read = await database.withClient(dyingOnce('read'), { idempotent: true });
    const write = await database.withClient(dyingOnce('write'), { idempotent: false }).catch((error: unknown) => error);
    // Assess
    expect(typeof read).toBe('number');
    expect(attempts).toEqual({ read: 2, write: 1 });
    expect(write).toBeInstanceOf(Error);
    expect(logger.events.filter((e) => e.event === 'database.connection_lost')).toHaveLength(1);
    expect(await database.withClient(backendPid, { idempotent: false })).toEqual(expect.any(Number));
  });

  describe('with a Secrets Manager secret', () => {
    let role: string;
    let secretFor: (password: string) => Record<string, unknown>;
    beforeEach(async () => {
      role = `api_${randomBytes(4).toString('hex')}`;
      await db.query(`create role ${role} login password 'first-5b1d'`);
      const url = new URL(db.url);
      secretFor = (password) => ({ username: role, password, host: url.hostname, port: Number(url.port), dbname: db.name, engine: 'postgres' });
    });
    afterEach(async () => {
      await database?.close();
      database = null;
      await db.query(`drop role if exists ${role}`).catch(() => undefined);
    });

    it('reads the secret once while the credentials work', async () => {
      // Prepare
      const secrets = new FakeSecrets([secretFor('first-5b1d')]);
      database = new PgApiDatabase(SECRET, { clients: clientsWith(secrets), logger });
      // Act
      const users = [await database.withClient(currentUser, { idempotent: true }), await database.withClient(currentUser, { idempotent: true })];
      // Assess
      expect(users).toEqual([role, role]);
      expect(secrets.requests).toEqual([ARN]);
    });

    it('reads the secret again when a reconnect is refused after rotation, and connects with the new password', async () => {
      // Prepare: a working pool, then the password is rotated and the session ends
      const secrets = new FakeSecrets([secretFor('first-5b1d'), secretFor('second-0e7a')]);
      database = new PgApiDatabase(SECRET, { clients: clientsWith(secrets), logger });
      expect(await database.withClient(currentUser, { idempotent: true })).toBe(role);
      await db.query(`alter role ${role} password 'second-0e7a'`);
      await db.query('select pg_terminate_backend(pid) from pg_stat_activity where usename = $1', [role]);
      // Act
      const user = await database.withClient(currentUser, { idempotent: true });
      // Assess
      expect(user).toBe(role);
      expect(secrets.requests).toEqual([ARN, ARN]);
      expect(logger.events.find((e) => e.event === 'credentials.rejected')).toMatchObject({ level: 'warn', data: { secretArn: ARN } });
      expect(JSON.stringify(logger.events)).not.toMatch(/first-5b1d|second-0e7a/);
    });

    it('fails with CREDENTIALS_UNAVAILABLE when the secret cannot be read, and tries again on the next request', async () => {
      // Prepare
      const secrets = new FakeSecrets([new Error('AccessDeniedException: not allowed'), secretFor('first-5b1d')]);
      database = new PgApiDatabase(SECRET, { clients: clientsWith(secrets), logger });
      // Act
      const failure = await database.withClient(currentUser, { idempotent: true }).catch((error: unknown) => error);
      const user = await database.withClient(currentUser, { idempotent: true });
      // Assess
      expect(failure).toBeInstanceOf(MigrationRunnerError);
      expect((failure as MigrationRunnerError).code).toBe('CREDENTIALS_UNAVAILABLE');
      expect(user).toBe(role);
    });
  });
});

function currentUser(client: pg.ClientBase): Promise<string> {
  return client.query<{ user: string }>('select current_user as user').then((r) => r.rows[0]?.user ?? '');
}
