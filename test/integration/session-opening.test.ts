/**
 * Opening a session quickly without changing what it means: the connection
 * opens while the bundle loads (`ready`), the reads sent with the first
 * attempt at the lock count only when that attempt took it, and a bundle
 * that fails is the error, whatever the connection does.
 */
import { createServer, type Server } from 'node:net';
import { lockKey, PgMigrationDatabase } from '../../lib/adapters/postgres';
import { FolderBundleSource } from '../../lib/adapters/fs/folder-bundle-source';
import { UsageError } from '../../lib/core/errors';
import { Action } from '../../lib/core/result';
import { runMigrations } from '../../lib/run';
import { useTestDatabase } from '../support/database';
import { failure } from '../support/failure';
import { MemoryLogger, TEST_SETTINGS } from '../support/workspace';

const database = useTestDatabase('file');
let schemaCount = 0;

const freshSchema = (): string => `opening_${++schemaCount}`;
const BUNDLE = 'a'.repeat(64);
const OTHER_BUNDLE = 'b'.repeat(64);

const adapter = (schema: string, connectTimeoutMs?: number, url = database.url): PgMigrationDatabase =>
  new PgMigrationDatabase({ connectionString: url, schema, lockPollMs: 20, ...(connectTimeoutMs ? { connectTimeoutMs } : {}) });

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void } {
  let resolve = (): void => undefined;
  let reject = (_error: unknown): void => undefined;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether some session holds the ledger lock of `schema`. */
async function lockHeld(schema: string): Promise<boolean> {
  const rows = await database.query("select 1 from pg_locks where locktype = 'advisory' and granted and objid = $1::oid", [String(lockKey(schema).objectId >>> 0)]);
  return rows.length > 0;
}

/** True once `check` is, polled for up to 2 s. */
async function within2s(check: () => Promise<boolean>): Promise<boolean> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await check()) return true;
    await pause(20);
  }
  return false;
}

async function stagegateSessions(): Promise<number> {
  const rows = await database.query("select 1 from pg_stat_activity where datname = $1 and application_name = 'stagegate'", [database.name]);
  return rows.length;
}

/** A server that accepts connections and never answers. */
async function silentServer(): Promise<{ port: number; server: Server }> {
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

describe('a session waiting to be ready', () => {
  it('connects meanwhile, but takes the lock only once ready', async () => {
    // Prepare
    const schema = freshSchema();
    const ready = deferred();

    // Act
    const session = adapter(schema).withLock({ waitMs: 1_000, ready: ready.promise }, () => lockHeld(schema));
    const connected = await within2s(async () => (await stagegateSessions()) > 0);
    const heldBeforeReady = await lockHeld(schema);
    ready.resolve();

    // Assess
    expect(connected).toBe(true);
    expect(heldBeforeReady).toBe(false);
    await expect(session).resolves.toBe(true);
  });

  it('throws the error of a failed ready, at once, even while the server never answers', async () => {
    // Prepare
    const { port, server } = await silentServer();
    const ready = deferred();
    const db = adapter(freshSchema(), 10_000, `postgres://app@127.0.0.1:${port}/appdb`);

    // Act
    const started = Date.now();
    const pending = failure(db.withLock({ waitMs: 1_000, ready: ready.promise }, async () => 'ran'));
    await pause(50);
    ready.reject(new UsageError('the bundle was bad'));
    const error = await pending;
    const waited = Date.now() - started;
    server.close();

    // Assess
    expect(error.code).toBe('USAGE');
    expect(error.message).toBe('the bundle was bad');
    expect(waited).toBeLessThan(2_000);
  });

  it('reports a bad bundle, not the database, when both fail in one run', async () => {
    // Prepare: a folder is no bundle file; the server never answers
    const { port, server } = await silentServer();
    const deps = {
      source: new FolderBundleSource('/nonexistent/stagegate-migrations'),
      db: adapter(freshSchema(), 10_000, `postgres://app@127.0.0.1:${port}/appdb`),
      logger: new MemoryLogger(),
      clock: { now: () => Date.now() },
    };

    // Act
    const started = Date.now();
    const error = await failure(runMigrations(deps, { action: 'migrate', actor: 'test' }, TEST_SETTINGS));
    server.close();

    // Assess
    expect(error.code).toMatch(/^BUNDLE_/);
    expect(error.details.bundleId).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('the reads sent with the first attempt at the lock', () => {
  it('are read again when a later attempt takes the lock, so what the holder wrote meanwhile counts', async () => {
    // Prepare: a holder that, once a waiter tried in vain, leaves a run running and marks the ledger complete
    const schema = freshSchema();
    const holding = deferred();
    const release = deferred();
    const holder = adapter(schema).withLock({ waitMs: 1_000 }, async (session) => {
      holding.resolve();
      await release.promise;
      await session.startRun({ action: Action.MIGRATE, bundleId: BUNDLE, actor: 'holder' });
      await session.markComplete(BUNDLE);
    });
    await holding.promise;

    // Act
    const waiter = adapter(schema).withLock({ waitMs: 5_000 }, (session) => session.isMarkedComplete(BUNDLE));
    await pause(150);
    release.resolve();
    await holder;
    const marked = await waiter;

    // Assess
    expect(marked).toBe(true);
    const runs = await database.query<{ actor: string; outcome: string }>(`select actor, outcome from "${schema}".runs`);
    expect(runs).toEqual([{ actor: 'holder', outcome: 'abandoned' }]);
  });

  it('answer a mark of another bundle without the digest, and still find this bundle\'s mark', async () => {
    // Prepare
    const schema = freshSchema();
    await adapter(schema).withLock({ waitMs: 1_000 }, (session) => session.markComplete(BUNDLE));

    // Act
    const [other, same] = await adapter(schema).withLock({ waitMs: 1_000 }, async (session) => [
      await session.isMarkedComplete(OTHER_BUNDLE),
      await session.isMarkedComplete(BUNDLE),
    ]);
    const afterNewMark = await adapter(schema).withLock({ waitMs: 1_000 }, async (session) => {
      await session.markComplete(OTHER_BUNDLE);
      return session.isMarkedComplete(OTHER_BUNDLE);
    });

    // Assess
    expect(other).toBe(false);
    expect(same).toBe(true);
    expect(afterNewMark).toBe(true);
  });
});
