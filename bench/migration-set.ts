/**
 * The generated migrations: each creates one table with five columns and one
 * index, so each is real DDL. One set of files serves every contender:
 * stagegate reads its bundle, psql includes the files, node-pg-migrate reads
 * the folder.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeBundle } from '../lib/core/bundle-format';
import { buildCatalog } from '../lib/core/catalog';
import { checksumOf } from '../lib/core/checksum';

export const APP = 'bench';

export interface MigrationSet {
  size: number;
  /** Folder of the SQL files (`<NNNNN>_t<NNNNN>.sql`), as node-pg-migrate reads it. */
  folder: string;
  /** The bundle of the first `n` migrations, by n, written as `<sha256>.json.gz` (created on demand). */
  bundle(n: number): Promise<string>;
  /** A psql script applying migrations [from, to), each in its own transaction, with or without a ledger row. */
  psqlScript(from: number, to: number, ledger: boolean): Promise<string>;
}

const pad = (i: number): string => String(i).padStart(5, '0');
const nameOf = (i: number): string => `${pad(i)}_t${pad(i)}`;

/** The SQL of migration `i` (1-based). */
export function migrationSql(i: number): string {
  const table = `bench_t${pad(i)}`;
  return (
    `CREATE TABLE ${table} (\n  id bigint NOT NULL,\n  name text NOT NULL,\n  amount numeric(12, 2),\n  note text,\n` +
    `  created_at timestamptz NOT NULL DEFAULT now()\n);\nCREATE INDEX ${table}_name ON ${table} (name);\n`
  );
}

/** The ledger psql writes: what any runner must write at least (id, checksum, time). */
const PSQL_LEDGER = 'create table if not exists bench_ledger (id text primary key, checksum text not null, applied_at timestamptz not null default now());\n';

/**
 * Writes `size` migrations under `root` and returns helpers for the forms each contender reads.
 *
 * @example
 * const set = await writeMigrationSet('/tmp/bench', 1000);
 * const bundle = await set.bundle(1000);
 */
export async function writeMigrationSet(root: string, size: number): Promise<MigrationSet> {
  const base = join(root, `set-${size}`);
  const folder = join(base, 'migrations', APP);
  await mkdir(folder, { recursive: true });
  const sql = Array.from({ length: size }, (_, k) => migrationSql(k + 1));
  await Promise.all(sql.map((text, k) => writeFile(join(folder, `${nameOf(k + 1)}.sql`), text)));
  const bundles = new Map<number, Promise<string>>();
  return {
    size,
    folder,
    bundle: (n) => {
      let path = bundles.get(n);
      if (!path) {
        path = writeBundle(base, sql.slice(0, n));
        bundles.set(n, path);
      }
      return path;
    },
    psqlScript: async (from, to, ledger) => {
      const lines = [ledger ? PSQL_LEDGER : ''];
      for (let i = from + 1; i <= to; i += 1) {
        const row = ledger ? `insert into bench_ledger (id, checksum) values ('${APP}/${nameOf(i)}', '${checksumOf(sql[i - 1] as string)}');\n` : '';
        lines.push(`begin;\n\\i ${join(folder, `${nameOf(i)}.sql`)}\n${row}commit;\n`);
      }
      const path = join(base, `psql-${from}-${to}${ledger ? '-ledger' : ''}.sql`);
      await writeFile(path, lines.join(''));
      return path;
    },
  };
}

async function writeBundle(base: string, sql: string[]): Promise<string> {
  const files = sql.map((content, k) => ({ path: `${APP}/${nameOf(k + 1)}.sql`, content }));
  const { bytes, id } = encodeBundle(buildCatalog(files));
  const dir = join(base, 'bundles');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${id}.json.gz`);
  await writeFile(path, bytes);
  return path;
}
