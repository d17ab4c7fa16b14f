/**
 * The command line of each contender. stagegate runs as users run it: the
 * CLI process with a bundle file. The others get the same SQL files.
 */
import { join, resolve } from 'node:path';
import { baseEnv, type Command } from './run-process';

export const ROOT = resolve(__dirname, '../..');
const PSQL = '/usr/bin/psql';

export const Contender = {
  STAGEGATE: 'stagegate',
  PSQL: 'psql',
  PSQL_LEDGER: 'psql + ledger',
  FLOOR: 'node connect + 1 query',
  PSQL_QUERY: 'psql connect + 1 query',
  NODE_PG_MIGRATE: 'node-pg-migrate',
  NODE_START: 'node -e 0',
} as const;
export type Contender = (typeof Contender)[keyof typeof Contender];

/** `stagegate migrate --bundle <file> --database-url <url> --json`, the same command for W1, W2 and W3. */
export function stagegateMigrate(bundle: string, url: string): Command {
  return { file: process.execPath, args: [join(ROOT, 'dist/stagegate.cjs'), 'migrate', '--bundle', bundle, '--database-url', url, '--json'] };
}

/** psql in one session, stopping at the first error; `-X` skips any psqlrc. */
export function psqlScript(script: string, url: string): Command {
  return { file: PSQL, args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', script] };
}

/** The floor for "up to date": node starts, connects with pg, runs `select 1`, exits. */
export function floorQuery(url: string): Command {
  return { file: process.execPath, args: [join(ROOT, 'dist/bench/floor-query.cjs'), url] };
}

/** psql's own start, connect, `select 1` and exit: what psql + ledger spends besides the migrations. */
export function psqlQuery(url: string): Command {
  return { file: PSQL, args: ['-X', '-q', '-d', url, '-c', 'select 1'] };
}

/** Node alone starting and exiting: what any runner written for Node adds to psql's time before doing anything. */
export function nodeStart(): Command {
  return { file: process.execPath, args: ['-e', '0'] };
}

/** node-pg-migrate with the same SQL files, one transaction per migration; `count` limits how many run. */
export function nodePgMigrate(folder: string, url: string, count?: number): Command {
  const bin = join(ROOT, 'node_modules/node-pg-migrate/bin/node-pg-migrate.js');
  const args = [bin, 'up', ...(count === undefined ? [] : [String(count)]), '-m', folder, '--no-single-transaction'];
  return { file: process.execPath, args, env: { ...baseEnv(), DATABASE_URL: url } };
}
