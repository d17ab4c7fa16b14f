import { DEFAULT_LEDGER_SCHEMA, describeConnection, PgMigrationDatabase, withClient } from '../adapters/postgres';
import { readSchemaObjects } from '../adapters/postgres/schema-objects';
import { withScratchDatabase } from '../adapters/postgres/scratch-database';
import { encodeBundle } from '../core/bundle-format';
import { CheckKind, IrreversibleError, MigrationFailedError, type CheckProblem } from '../core/errors';
import { reverseFile, type Migration } from '../core/migration';
import type { RunResult } from '../core/result';
import { ChangeKind, describeDifference, diffSchemas, ObjectKind, type SchemaDifference, type SchemaObject } from '../core/schema';
import { ZERO } from '../core/target';
import type { Logger } from '../ports';
import { runMigrations, type RunSettings } from '../run';
import type { ApplyToEmpty } from './check-migrations';

const clock = { now: () => Date.now() };
const CONNECT_TIMEOUT_MS = 10_000;
const ACTOR = 'stagegate check';

/**
 * The database step of `stagegate check` on a real server. In a scratch
 * database created next to `connection` (which it never changes) and dropped
 * on every path, it applies the whole history with the engine a deploy uses,
 * then reverts it all (`migrate --to zero`) and compares the schema with the
 * empty database's: anything left (or missing) is a reverse script that does
 * not undo its migration. A migration or reverse script that fails is a
 * problem of the report; anything else (server unreachable, no CREATEDB) is
 * an error.
 *
 * @example
 * const report = await checkMigrations(files, parse, applyToScratch(url, logger, settings));
 */
export function applyToScratch(connection: string, logger: Logger, settings: RunSettings): ApplyToEmpty {
  return (migrations) =>
    withScratchDatabase(
      connection,
      ACTOR,
      (url) => applyAndRevert(url, migrations, logger, settings),
      // Named before it is created: a server that refuses (no CREATEDB, unreachable) is still shown as the target.
      (url) => logger.info('command.started', { target: `scratch database ${describeConnection(url)}` }),
    );
}

/** The whole history applied to the empty database at `url`, then reverted, with the problems found. */
async function applyAndRevert(url: string, migrations: Migration[], logger: Logger, settings: RunSettings): ReturnType<ApplyToEmpty> {
  const database = decodeURIComponent(new URL(url).pathname.slice(1));
  const bundle = { id: encodeBundle(migrations).id, origin: 'migrations folder', migrations, allVerified: true };
  const db = new PgMigrationDatabase({ connection: url, schema: DEFAULT_LEDGER_SCHEMA });
  const run = (target?: string): Promise<RunResult> =>
    runMigrations({ source: { load: async () => bundle }, db, logger, clock }, { action: 'migrate', actor: ACTOR, target }, settings);
  const empty = await schemaOf(url);
  const forward = await failureOf(run(), CheckKind.DATABASE);
  if ('problem' in forward) return { database: null, problems: [forward.problem] };
  const applied = forward.result.applied.length;
  let back: { result: RunResult } | { problem: CheckProblem };
  try {
    back = await failureOf(run(ZERO), CheckKind.REVERSE);
  } catch (error) {
    if (!(error instanceof IrreversibleError)) throw error;
    const skipped = `not run: ${error.migrations.length} migration(s) cannot be reverted (${error.migrations.map((m) => m.id).join(', ')})`;
    return { database: { database, applied, reverted: null, reverseSkipped: skipped }, problems: [] };
  }
  if ('problem' in back) return { database: { database, applied, reverted: null, reverseSkipped: 'a reverse script failed' }, problems: [back.problem] };
  const left = withoutParts(diffSchemas(empty, await schemaOf(url)));
  const reverted = back.result.reverted?.length ?? 0;
  return { database: { database, applied, reverted, reverseSkipped: null }, problems: left.map((d) => leftover(d, migrations)) };
}

function schemaOf(url: string): Promise<SchemaObject[]> {
  return withClient(url, { connectTimeoutMs: CONNECT_TIMEOUT_MS }, (client) => readSchemaObjects(client, [DEFAULT_LEDGER_SCHEMA]));
}

/** The run's result, or the failed migration (or reverse script) as a problem of the report. */
async function failureOf(running: Promise<RunResult>, kind: CheckKind): Promise<{ result: RunResult } | { problem: CheckProblem }> {
  try {
    return { result: await running };
  } catch (error) {
    if (!(error instanceof MigrationFailedError)) throw error;
    const { failure } = error;
    const reverting = kind === CheckKind.REVERSE;
    return {
      problem: {
        kind,
        code: reverting ? 'REVERSE_FAILED' : error.code,
        file: failure.file,
        line: failure.line,
        column: failure.column ?? undefined,
        message: `${reverting ? 'fails when the whole history is reverted' : 'does not apply to an empty database'}: ${failure.pgMessage}${failure.sqlstate ? ` [SQLSTATE ${failure.sqlstate}]` : ''}`,
        suggestion: reverting
          ? 'Fix the reverse script so that it undoes its migration after every later migration was reverted.'
          : 'Every stage starts from an empty database: the history must build the schema from nothing. Fix the migration (or the order it depends on).',
      },
    };
  }
}

/** A table left behind (or gone) is one problem, not one more per column, constraint and index of it. */
function withoutParts(differences: readonly SchemaDifference[]): SchemaDifference[] {
  const tables = differences.filter((d) => d.kind === ObjectKind.TABLE && d.change !== ChangeKind.CHANGED).map((d) => `${d.name}.`);
  return differences.filter((d) => d.kind === ObjectKind.TABLE || !tables.some((prefix) => d.name.startsWith(prefix)));
}

/** Identifier words of a qualified name, innermost first: `public.t.c` → [c, t]; `public.f(integer)` → [f]. */
function wordsOf(name: string): string[] {
  const parts = name.replace(/\(.*$/, '').split('.').map((p) => p.replace(/[^a-z0-9_]/gi, ''));
  return parts.slice(1).reverse().filter(Boolean);
}

const mentions = (sql: string, word: string): boolean => new RegExp(`(^|[^a-z0-9_])${word}($|[^a-z0-9_])`, 'i').test(sql);

/**
 * An object the round trip left different, attributed to the first
 * migration whose SQL names it (and its table, for a part of one): the
 * reverse script that should have undone it.
 */
function leftover(difference: SchemaDifference, migrations: readonly Migration[]): CheckProblem {
  const words = wordsOf(difference.name);
  const source = words.length === 0 ? undefined : migrations.find((m) => words.every((w) => mentions(m.sql, w))) ?? migrations.find((m) => mentions(m.sql, words[0] as string));
  return {
    kind: CheckKind.REVERSE,
    code: 'REVERSE_LEFTOVER',
    file: source ? reverseFile(source.file) : '(database)',
    message: describeDifference(difference, 'by the history, and not undone after reverting every migration'),
    suggestion: `Make the reverse script${source ? ` of ${source.id} (the first migration that names ${words.join(' and ')})` : ''} undo exactly what its migration does.`,
  };
}
