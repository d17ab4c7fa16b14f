import pg from 'pg';
import { storeBaseline, storeFirstBaseline } from '../../lib/adapters/postgres/baseline-store';
import { ensureLedger, ledgerTables } from '../../lib/adapters/postgres/ledger';
import { useTestDatabase } from '../support/database';
import { MemoryLogger, runOnFolder, useWorkspace } from '../support/workspace';

/** Every kind of object the baseline reads: tables, columns, defaults, constraints, partial and expression indexes, views, functions, triggers, types, sequences, an extension, a second schema. */
const RICH_SCHEMA = `CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE SCHEMA billing;
CREATE TYPE status AS ENUM ('open', 'paid', 'void');
CREATE DOMAIN positive AS numeric CHECK (VALUE > 0);
CREATE TYPE billing.pair AS (a int, b text);
CREATE SEQUENCE bill_no START 1000 INCREMENT 5;
CREATE TABLE account (id bigserial PRIMARY KEY, email varchar(320) UNIQUE, created_at timestamptz NOT NULL DEFAULT now(), plan text CHECK (plan <> ''));
CREATE TABLE bill (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account_id bigint NOT NULL REFERENCES account (id) ON DELETE CASCADE,
  number bigint DEFAULT nextval('bill_no'), total numeric(12, 2) NOT NULL DEFAULT 0, status status NOT NULL DEFAULT 'open',
  during tstzrange, cents bigint GENERATED ALWAYS AS ((total * 100)::bigint) STORED,
  EXCLUDE USING gist (account_id WITH =, during WITH &&));
CREATE INDEX bill_open ON bill (account_id) WHERE status = 'open';
CREATE INDEX account_email_lower ON account (lower(email)) INCLUDE (plan);
CREATE TABLE billing.ledger (id int PRIMARY KEY, amount positive, pair billing.pair);
CREATE TABLE happening (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE happening_2026 PARTITION OF happening FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE VIEW open_bills AS SELECT b.id, a.email, b.total FROM bill b JOIN account a ON a.id = b.account_id WHERE b.status = 'open';
CREATE MATERIALIZED VIEW totals AS SELECT account_id, sum(total) AS total FROM bill GROUP BY account_id;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.total := NEW.total; RETURN NEW; END $$;
CREATE TRIGGER bill_touch BEFORE UPDATE ON bill FOR EACH ROW EXECUTE FUNCTION touch();
CREATE FUNCTION billing.double(x numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT x * 2 $$;
COMMENT ON TABLE account IS 'who pays';`;

/** What the baseline tables and its meta key hold, in a fixed order. */
async function storedRows(client: pg.Client): Promise<unknown> {
  const objects = await client.query('select kind, name, definition, unit::text from stagegate.schema_objects order by kind collate "C", name collate "C", unit');
  const units = await client.query('select unit::text, stamp::text from stagegate.schema_units order by unit');
  const meta = await client.query("select value from stagegate.meta where key = 'schema_baseline'");
  return { objects: objects.rows, units: units.rows, meta: meta.rows };
}

/** Session settings a migration may have changed, which the store must read past and leave as they were. */
const SETTINGS = { search_path: 'billing, public', DateStyle: 'SQL, DMY', extra_float_digits: '0', IntervalStyle: 'sql_standard', TimeZone: 'Asia/Tokyo' };

async function sessionSettings(client: pg.Client): Promise<Record<string, string>> {
  const result = await client.query<{ name: string; value: string }>('select s.name, current_setting(s.name) as value from unnest($1::text[]) s (name)', [Object.keys(SETTINGS)]);
  return Object.fromEntries(result.rows.map((r) => [r.name, r.value]));
}

describe('Integration: the first baseline of a ledger the session created', () => {
  const db = useTestDatabase();
  const ws = useWorkspace();

  it.each([
    ['a pipelined client', true],
    ['a client that waits for each answer', false],
  ])('stores, on %s, the same rows as the whole store after a truncate, and leaves the session settings as they were', async (_, pipeline) => {
    // Prepare: a rich schema, a ledger just created, session settings changed
    await db.query(RICH_SCHEMA);
    const client = new pg.Client({ connectionString: db.url, pipeline });
    await client.connect();
    try {
      const t = ledgerTables('stagegate');
      expect(await ensureLedger(client, t)).toBe(true);
      for (const [name, value] of Object.entries(SETTINGS)) await client.query('select set_config($1, $2, false)', [name, value]);
      const settings = await sessionSettings(client);
      // Act: the first store, then the baseline stored again the old way (no baseline key: truncate and fill)
      await storeFirstBaseline(client, t);
      const first = await storedRows(client);
      const settingsAfterFirst = await sessionSettings(client);
      await client.query("delete from stagegate.meta where key = 'schema_baseline'");
      expect(await storeBaseline(client, t)).toBe(true);
      // Assess
      expect((first as { objects: unknown[] }).objects.length).toBeGreaterThan(40);
      expect(first).toEqual(await storedRows(client));
      expect(settingsAfterFirst).toEqual(settings);
      expect(await sessionSettings(client)).toEqual(settings);
    } finally {
      await client.end();
    }
  });

  it('is what a first run on a fresh database stores, and the next run finds no drift', async () => {
    // Prepare: the rich schema as a migration
    const first = { 'app/0001_rich.sql': RICH_SCHEMA };
    const logger = new MemoryLogger();
    // Act
    await runOnFolder(ws.migrations(first), db.url, { action: 'migrate' }, { logger });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    let stored: unknown;
    try {
      stored = await storedRows(client);
      await client.query("delete from stagegate.meta where key = 'schema_baseline'");
      expect(await storeBaseline(client, ledgerTables('stagegate'))).toBe(true);
      // Assess
      expect(logger.events.map((e) => e.event)).toContain('drift.baseline_stored');
      expect(stored).toEqual(await storedRows(client));
    } finally {
      await client.end();
    }
    const next = new MemoryLogger();
    await runOnFolder(ws.migrations({ ...first, 'app/0002_more.sql': 'CREATE TABLE more (id int);' }), db.url, { action: 'migrate' }, { logger: next });
    expect(next.events).toContainEqual(expect.objectContaining({ event: 'drift.checked', data: { differences: 0 } }));
  });

  it('leaves no row of baseline tables an earlier ledger left without its meta', async () => {
    // Prepare: the baseline tables of a ledger whose meta was dropped, with rows in them
    await runOnFolder(ws.migrations({ 'app/0001_t.sql': 'CREATE TABLE t (id int);' }), db.url, { action: 'migrate' });
    await db.query("insert into stagegate.schema_units values (42, 1); insert into stagegate.schema_objects values ('table', 'public.gone', 'table', 42)");
    await db.query('drop table stagegate.meta, stagegate.runs, stagegate.migrations');
    // Act: a run that creates the ledger again
    await runOnFolder(ws.migrations({ 'app/0002_u.sql': 'CREATE TABLE u (id int);' }), db.url, { action: 'migrate' });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const stored = await storedRows(client);
      await client.query("delete from stagegate.meta where key = 'schema_baseline'");
      expect(await storeBaseline(client, ledgerTables('stagegate'))).toBe(true);
      // Assess
      expect(JSON.stringify(stored)).not.toContain('public.gone');
      expect(stored).toEqual(await storedRows(client));
    } finally {
      await client.end();
    }
  });
});
