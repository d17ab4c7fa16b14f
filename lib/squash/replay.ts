/**
 * Replays migrations on a scratch database with the engine itself, and reads
 * what they built: the squash's source of truth and its proof.
 */
import type pg from 'pg';
import { encodeBundle } from '../core/bundle-format';
import type { Migration } from '../core/migration';
import { objectKey, type SchemaObject } from '../core/schema';
import { withClient } from '../adapters/postgres/connect';
import { readContents } from '../adapters/postgres/dump-data';
import { PgMigrationDatabase } from '../adapters/postgres/pg-migration-database';
import { readSchemaObjects } from '../adapters/postgres/schema-objects';
import { runMigrations } from '../run';
import type { Logger } from '../ports';

const CONNECT_TIMEOUT_MS = 10_000;
/** Scratch databases have no other sessions: nothing to wait for, no statement to cut short. */
const SCRATCH_SETTINGS = { lockWaitMs: 10_000, lockTimeoutMs: 0, statementTimeoutMs: 0 };

/** The engine's per-migration events are detail here: they go to debug. */
function quiet(logger: Logger): Logger {
  return { debug: (e, d) => logger.debug(e, d), info: (e, d) => logger.debug(e, d), warn: (e, d) => logger.warn(e, d), error: (e, d) => logger.debug(e, d) };
}

/** Where replays run: a scratch database's URL and its ledger schema. */
export interface ReplayTarget {
  url: string;
  ledgerSchema: string;
  logger: Logger;
}

/**
 * Applies `migrations` (in the engine's dependency order, with its ledger)
 * to the scratch database. Migrations already applied there are skipped.
 *
 * @example
 * await replay({ url, ledgerSchema: 'stagegate', logger }, [...prerequisites, ...range]);
 */
export async function replay(target: ReplayTarget, migrations: readonly Migration[]): Promise<void> {
  if (migrations.length === 0) return;
  const bundle = { id: encodeBundle(migrations).id, origin: 'stagegate squash (scratch)', migrations: [...migrations], allVerified: true };
  await runMigrations(
    { source: { load: async () => bundle }, db: new PgMigrationDatabase({ connectionString: target.url, schema: target.ledgerSchema }), logger: quiet(target.logger), clock: { now: () => Date.now() } },
    { action: 'migrate', actor: 'stagegate squash' },
    SCRATCH_SETTINGS,
  );
}

/**
 * Every object of the scratch database but the ledger's, and the contents
 * (rows, sequence values) of the objects in `keys` (by default, of every
 * object read), on one connection.
 *
 * @example
 * const { objects, contents } = await readScratchState({ url, ledgerSchema: 'stagegate', logger });
 */
export function readScratchState(target: ReplayTarget, keys?: ReadonlySet<string>): Promise<{ objects: SchemaObject[]; contents: Map<string, string> }> {
  return withScratchClient(target, async (client) => {
    const objects = await readSchemaObjects(client, [target.ledgerSchema]);
    return { objects, contents: await readContents(client, [target.ledgerSchema], keys ?? new Set(objects.map(objectKey))) };
  });
}

/** Runs `fn` with a client on the scratch database. */
export function withScratchClient<T>(target: ReplayTarget, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(target.url, { connectTimeoutMs: CONNECT_TIMEOUT_MS }, (client) => fn(client));
}
