/**
 * PostgreSQL's cancel request as the deadline uses it: it cancels the
 * statement running when it arrives, and once delivered to a session that
 * is waiting for its next query it has no effect on the queries after it
 * (the engine relies on that: nothing is sent until a cancel was delivered).
 */
import pg from 'pg';
import { sendCancelRequest } from '../../lib/adapters/postgres/cancel-request';
import { useTestDatabase } from '../support/database';

describe('Integration: the cancel request on a real PostgreSQL', () => {
  const db = useTestDatabase();
  let client: pg.Client;
  beforeEach(async () => {
    client = new pg.Client({ connectionString: db.url });
    // The database is dropped after each test, possibly before this client ends.
    client.on('error', () => undefined);
    await client.connect();
  });
  afterEach(() => client.end());

  it('cancels the statement in flight with 57014, and the session stays usable', async () => {
    // Prepare
    const started = Date.now();
    const sleeping = client.query('select pg_sleep(5)').catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Act
    await sendCancelRequest(client);
    const error = await sleeping;
    // Assess
    expect(error).toMatchObject({ code: '57014', message: expect.stringContaining('user request') });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it('once delivered to an idle session, never cancels the queries sent after it, in a transaction or not', async () => {
    // Prepare
    await client.query('create table t (n int)');
    // Act: as the engine does after a migration that finished just as the cancel went out
    for (let n = 0; n < 20; n += 1) {
      if (n % 2 === 0) await client.query('begin');
      await sendCancelRequest(client);
      await client.query('insert into t values ($1)', [n]);
      if (n % 2 === 0) await client.query('commit');
    }
    // Assess
    expect((await client.query('select count(*)::int as n from t')).rows).toEqual([{ n: 20 }]);
  });
});
