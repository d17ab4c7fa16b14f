import pg from 'pg';
import { readSchemaHash, readSchemaObjects } from '../../lib/adapters/postgres/schema-objects';
import { withScratchDatabase, SCRATCH_PREFIX } from '../../lib/adapters/postgres/scratch-database';
import { diffSchemas, schemaHash } from '../../lib/core/schema';
import { MigrationRunnerError } from '../../lib/core/errors';
import { adminUrl, createTestDatabase, urlFor, type TestDatabase } from '../support/database';

const DDL = [
  'create schema app',
  "create type app.mood as enum ('ok', 'sad')",
  'create domain app.positive as integer check (value > 0)',
  'create table app.org (id bigint generated always as identity primary key, name text not null default \'x\', mood app.mood, size app.positive)',
  'create table app.member (id serial primary key, org_id bigint not null references app.org (id), email text unique)',
  'create index member_org on app.member (org_id)',
  'create view app.org_names as select name from app.org',
  'create function app.touch() returns trigger language plpgsql as $$ begin return new; end $$',
  'create trigger org_touch before update on app.org for each row execute function app.touch()',
  'create schema stagegate',
  'create table stagegate.ledger_like (id int)',
];

async function withConnection<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

describe('readSchemaObjects and readSchemaHash', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
    for (const statement of DDL) await database.query(statement);
  });
  afterAll(() => database.drop());

  it('lists every kind of object of the managed schemas, leaving out the excluded ones', async () => {
    const objects = await withConnection(database.url, (client) => readSchemaObjects(client, ['stagegate']));
    const names = objects.map((o) => `${o.kind} ${o.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'schema app',
        'type app.mood',
        'type app.positive',
        'table app.org',
        'column app.org.id',
        'constraint app.org.org_pkey',
        'constraint app.member.member_org_id_fkey',
        'index app.member.member_org',
        'sequence app.member_id_seq',
        'view app.org_names',
        'function app.touch()',
        'trigger app.org.org_touch',
      ]),
    );
    expect(names.some((n) => n.includes('stagegate'))).toBe(false);
    const column = objects.find((o) => o.name === 'app.org.name');
    expect(column?.definition).toBe("text not null default 'x'::text");
    const fk = objects.find((o) => o.name === 'app.member.member_org_id_fkey');
    // search_path is pg_catalog while reading: references are schema-qualified.
    expect(fk?.definition).toBe('FOREIGN KEY (org_id) REFERENCES app.org(id)');
  });

  it('computes on the server the same hash as the core over the same objects', async () => {
    await withConnection(database.url, async (client) => {
      const objects = await readSchemaObjects(client, ['stagegate']);
      expect(await readSchemaHash(client, ['stagegate'])).toBe(schemaHash(objects));
    });
  });

  it('puts the session search_path back', async () => {
    await withConnection(database.url, async (client) => {
      await client.query('set search_path = app, public');
      await readSchemaHash(client, []);
      expect((await client.query('show search_path')).rows[0].search_path).toBe('app, public');
    });
  });

  it("reads a constant as the connection started, whatever the session's time zone is now, and puts that back", async () => {
    await withConnection(database.url, async (client) => {
      // In a transaction rolled back: the other tests read this database's objects too.
      await client.query("begin; create table app.visit (at timestamptz default '2026-01-01 09:00+00')");
      const before = await readSchemaObjects(client, []);
      await client.query("set time zone 'America/New_York'");
      const after = await readSchemaObjects(client, []);
      const zone = (await client.query<{ TimeZone: string }>('show timezone')).rows[0]?.TimeZone;
      await client.query('rollback');
      expect(before.find((o) => o.name === 'app.visit.at')?.definition).toContain('+00');
      expect(after).toEqual(before);
      expect(zone).toBe('America/New_York');
    });
  });

  it('gives the same objects for the same DDL in another database, and the difference after a change by hand', async () => {
    await withScratchDatabase(adminUrl(), 'schema test', async (url) => {
      await withConnection(url, async (client) => {
        for (const statement of DDL) await client.query(statement);
        const [here, there] = [await readSchemaObjects(client, ['stagegate']), await withConnection(database.url, (c) => readSchemaObjects(c, ['stagegate']))];
        expect(diffSchemas(there, here)).toEqual([]);
        await client.query('alter table app.org add column type_id integer');
        await client.query('alter table app.member alter column email type varchar(100)');
        const after = await readSchemaObjects(client, ['stagegate']);
        expect(diffSchemas(there, after).map((d) => `${d.change} ${d.kind} ${d.name}`)).toEqual(['changed column app.member.email', 'added column app.org.type_id']);
      });
    });
  });
});

describe('withScratchDatabase', () => {
  async function scratchNames(): Promise<string[]> {
    return withConnection(adminUrl(), async (client) => {
      const result = await client.query<{ datname: string }>('select datname from pg_database where starts_with(datname, $1)', [SCRATCH_PREFIX]);
      return result.rows.map((r) => r.datname);
    });
  }

  it('hands over an empty database and drops it afterwards, also when the callback throws', async () => {
    let seen = '';
    await expect(
      withScratchDatabase(adminUrl(), 'stagegate adopt', async (url) => {
        seen = new URL(url).pathname.slice(1);
        const count = await withConnection(url, async (c) => (await c.query("select count(*)::int as n from pg_class where relnamespace = 'public'::regnamespace")).rows[0].n);
        expect(count).toBe(0);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(seen.startsWith(`${SCRATCH_PREFIX}stagegate_adopt_`)).toBe(true);
    // Other test files create scratch databases on the same server at the same time: look for this one only.
    expect(await scratchNames()).not.toContain(seen);
  });

  it('refuses with SCRATCH_DATABASE_FAILED and a remedy when the role may not create databases', async () => {
    const role = `scratch_${Date.now()}`;
    await withConnection(adminUrl(), (c) => c.query(`create role ${role} login password 'pw-scratch-secret' nocreatedb`));
    const url = new URL(urlFor('postgres'));
    url.username = role;
    url.password = 'pw-scratch-secret';
    const error = await withScratchDatabase(url.toString(), 'stagegate adopt', async () => 'never').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationRunnerError);
    expect((error as MigrationRunnerError).code).toBe('SCRATCH_DATABASE_FAILED');
    expect((error as MigrationRunnerError).message).toContain('may not create databases');
    expect((error as MigrationRunnerError).remedy).toContain('CREATEDB');
    expect(JSON.stringify((error as MigrationRunnerError).toJSON())).not.toContain('pw-scratch-secret');
  });
});
