/**
 * The fault suite's harness. Every scenario runs on a database that also
 * holds a data table with rows, owned by a role whose password is full of
 * URL and SQL special characters. After the fault, a scenario asserts that
 * the data table is unchanged, that the ledger matches the schema, that a
 * following normal run ends in a known state, and that the password never
 * appeared in anything stagegate wrote.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { RunResult } from '../../lib/core/result';
import type { RunRequest, RunSettings } from '../../lib/run';
import { adminUrl, createTestDatabase, type TestDatabase } from './database';
import { MemoryLogger, runOnFolder, startCli, type ProcessResult, type StartedCli } from './workspace';

/** The ledger schema of a scenario unless it chooses another. */
export const LEDGER = 'stagegate';

/** One migration of a scenario and the objects (tables, indexes, constraints) it creates. */
export interface FaultStep {
  id: string;
  sql: string;
  objects: string[];
}

/**
 * A migration `fault/<NNNN>_step` that creates table `fault_<NNNN>`; `extra`
 * SQL runs after it, in the same file.
 *
 * @example
 * step(2, 'SELECT pg_advisory_xact_lock(7);'); // creates fault_0002, then waits for lock 7
 */
export function step(n: number, extra = '', header = ''): FaultStep {
  const number = String(n).padStart(4, '0');
  const table = `fault_${number}`;
  return { id: `fault/${number}_step`, sql: `${header}CREATE TABLE ${table} (id int PRIMARY KEY);\n${extra}`, objects: [table] };
}

/** The files of `steps`, for `Workspace.migrations`. */
export function filesOf(steps: readonly FaultStep[]): Record<string, string> {
  return Object.fromEntries(steps.map((s) => [`${s.id}.sql`, s.sql]));
}

export interface FaultDatabase {
  /** The ledger schema every run here uses. */
  schema: string;
  /** Connection URL as the owning role: its password is URL-encoded. */
  url: string;
  /** The role's password: it must never appear in any output. */
  password: string;
  /** Superuser access to the same database, to inspect, block and terminate. */
  admin: TestDatabase;
  /** Ledger rows as `[id, state]`, sorted by id. */
  ledger(): Promise<[string, string][]>;
  /** Outcomes of the runs table, oldest first. */
  runs(): Promise<string[]>;
  /** Runs the engine in-process as the role, as the CLI would; logs, result and error are recorded. */
  migrate(folder: string, request?: Partial<RunRequest>, settings?: Partial<RunSettings>): Promise<RunResult>;
  /** Runs the built CLI as a separate process against this database; its output is recorded. */
  cli(args: string[], cwd: string, env?: Record<string, string>): Promise<ProcessResult>;
  /** Starts the CLI like `cli` without waiting for it; its output is recorded when it exits. */
  startCli(args: string[], cwd: string, env?: Record<string, string>): StartedCli;
  /** Adds anything else stagegate wrote (a process' output, a result) to what the secret check reads. */
  record(value: unknown): void;
  /**
   * The data table is unchanged, every applied migration's objects exist and
   * no object of an unapplied one does, and stagegate wrote no secret
   * anywhere (outputs, logs, ledger). `dirty` names rows expected to be
   * `running` or `failed`; their objects are not checked (they may be partial).
   */
  expectConsistent(steps: readonly FaultStep[], dirty?: Record<string, 'running' | 'failed'>): Promise<void>;
  /** A normal run applies whatever is left, then every step is applied and no run is left `running`. */
  expectFollowingRunCompletes(folder: string, steps: readonly FaultStep[]): Promise<RunResult>;
  drop(): Promise<void>;
}

const FINGERPRINT = `select count(*)::int as rows, md5(coalesce(string_agg(t::text, ',' order by id), '')) as md5 from customer t`;

async function objectExists(admin: TestDatabase, name: string): Promise<boolean> {
  const [row] = await admin.query<{ found: boolean }>(
    'select to_regclass($1) is not null or exists (select 1 from pg_constraint where conname = $1) as found',
    [name],
  );
  return row?.found === true;
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return `${value.message}\n${value.stack ?? ''}\n${JSON.stringify(value)}`;
  return JSON.stringify(value) ?? String(value);
}

/**
 * A fresh database with a `customer` table of 500 rows, owned by a new role
 * whose password holds `@ : / ? # % & ' "`, a space and a non-ASCII letter.
 * `base` is the admin URL of the server (the shared test server by default);
 * every run uses the ledger schema `schema`.
 *
 * @example
 * const fdb = await createFaultDatabase();
 * afterEach(() => fdb.drop());
 */
export async function createFaultDatabase(base = adminUrl(), schema = LEDGER): Promise<FaultDatabase> {
  const admin = await createTestDatabase(base);
  const role = `fault_${randomBytes(6).toString('hex')}`;
  // The token alone finds the password however it was encoded.
  const token = randomBytes(6).toString('hex');
  const password = `p@ss:w/rd?#%&'"é ${token}`;
  await admin.query(`create role ${pg.escapeIdentifier(role)} login password ${pg.escapeLiteral(password)}`);
  await admin.query(`alter database ${pg.escapeIdentifier(admin.name)} owner to ${pg.escapeIdentifier(role)}`);
  const url = new URL(admin.url);
  const encoded = `${url.protocol}//${encodeURIComponent(role)}:${encodeURIComponent(password)}@${url.host}${url.pathname}`;
  await admin.query(`create table customer (id bigint primary key, name text not null, balance numeric(12, 2) not null)`);
  await admin.query(`insert into customer select n, format('customer %s ''quoted'' é', n), n * 1.25 from generate_series(1, 500) n`);
  await admin.query(`alter table customer owner to ${pg.escapeIdentifier(role)}`);
  const [baseline] = await admin.query<{ rows: number; md5: string }>(FINGERPRINT);
  const transcript: string[] = [];
  const record = (value: unknown): void => void transcript.push(text(value));

  const quoted = pg.escapeIdentifier(schema);
  const tableExists = async (table: string): Promise<boolean> =>
    (await admin.query<{ found: boolean }>('select to_regclass($1) is not null as found', [`${quoted}.${table}`]))[0]?.found === true;
  const ledger = async (): Promise<[string, string][]> => {
    if (!(await tableExists('migrations'))) return [];
    return (await admin.query<{ id: string; state: string }>(`select id, state from ${quoted}.migrations order by id`)).map((r) => [r.id, r.state]);
  };
  const runs = async (): Promise<string[]> => {
    if (!(await tableExists('runs'))) return [];
    return (await admin.query<{ outcome: string }>(`select outcome from ${quoted}.runs order by id`)).map((r) => r.outcome);
  };

  const fdb: FaultDatabase = {
    schema,
    url: encoded,
    password,
    admin,
    ledger,
    runs,
    record,
    migrate: async (folder, request = {}, settings = {}) => {
      const logger = new MemoryLogger();
      try {
        const result = await runOnFolder(folder, encoded, { action: 'migrate', ...request }, { logger, settings, schema });
        record(result);
        return result;
      } catch (error) {
        record(error);
        throw error;
      } finally {
        record(logger.events);
      }
    },
    cli: (args, cwd, env = {}) => fdb.startCli(args, cwd, env).done,
    startCli: (args, cwd, env = {}) => {
      const started = startCli(args, { cwd, env: { DATABASE_URL: encoded, STAGEGATE_SCHEMA: schema, ...env } });
      const done = started.done.then((result) => {
        record(result.stdout);
        record(result.stderr);
        return result;
      });
      return { child: started.child, done };
    },
    expectConsistent: async (steps, dirty = {}) => {
      expect(await admin.query(FINGERPRINT)).toEqual([baseline]);
      const rows = new Map(await ledger());
      for (const s of steps) {
        const state = rows.get(s.id) ?? 'absent';
        // A row is clean (applied, or none at all) unless the scenario says otherwise.
        expect([s.id, state]).toEqual([s.id, dirty[s.id] ?? (state === 'applied' ? 'applied' : 'absent')]);
        if (state !== 'applied' && state !== 'absent') continue;
        for (const object of s.objects) expect([s.id, object, await objectExists(admin, object)]).toEqual([s.id, object, state === 'applied']);
      }
      const stored = (await tableExists('runs'))
        ? await admin.query<{ text: string }>(
            `select coalesce(string_agg(t::text, ' '), '') as text from (select error::text from ${quoted}.runs union all select error::text from ${quoted}.migrations) t`,
          )
        : [];
      for (const secret of [password, encodeURIComponent(password), token]) {
        expect(transcript.filter((entry) => entry.includes(secret))).toEqual([]);
        expect(stored[0]?.text ?? '').not.toContain(secret);
      }
    },
    expectFollowingRunCompletes: async (folder, steps) => {
      const result = await fdb.migrate(folder);
      expect(['applied', 'up-to-date']).toContain(result.status);
      expect(await ledger()).toEqual(steps.map((s) => [s.id, 'applied']).sort());
      await fdb.expectConsistent(steps);
      expect(await runs()).not.toContain('running');
      return result;
    },
    drop: async () => {
      await admin.drop();
      const server = new pg.Client({ connectionString: base });
      await server.connect();
      await server.query(`drop role if exists ${pg.escapeIdentifier(role)}`).finally(() => server.end());
    },
  };
  return fdb;
}
