/**
 * The session setting that lets the server notice a vanished client: set on
 * every connection, and never the reason a run fails when the server refuses it.
 */
import { withClient } from '../../lib/adapters/postgres/connect';
import { useTestDatabase } from '../support/database';

const database = useTestDatabase('file');

const checkInterval = (options: { pipeline: boolean; checkIntervalMs?: number }): Promise<string> =>
  withClient(database.url, { connectTimeoutMs: 5_000, ...options }, async (client) => {
    const result = await client.query<{ value: string }>("select current_setting('client_connection_check_interval') as value");
    return result.rows[0]?.value ?? '';
  });

describe('withClient and client_connection_check_interval', () => {
  it.each([false, true])('sets the check to 1 s on a new session (pipelined: %s)', async (pipeline) => {
    expect(await checkInterval({ pipeline })).toBe('1s');
  });

  // A server that cannot watch its sockets (Windows) refuses any value but 0 with 22023; so does a value out of range.
  it.each([false, true])('goes on without the check when the server refuses the value (pipelined: %s)', async (pipeline) => {
    expect(await checkInterval({ pipeline, checkIntervalMs: -1 })).toBe('0');
  });

  it('still rejects when the connection itself fails', async () => {
    const url = database.url.replace(/:\d+\//, ':1/');
    await expect(withClient(url, { connectTimeoutMs: 2_000, pipeline: true }, async () => 'ran')).rejects.toMatchObject({ code: 'DATABASE_UNREACHABLE' });
  });
});
