import pg from 'pg';
import { PgMigrationDatabase } from '../../lib/adapters/postgres';
import { readSchemaObjects } from '../../lib/adapters/postgres/schema-objects';
import { LIVE_STAMP_SQL } from '../../lib/adapters/postgres/schema-units';
import type { SchemaObject } from '../../lib/core/schema';
import { driftCommand } from '../../lib/drift';
import { useTestDatabase } from '../support/database';
import { failure } from '../support/failure';
import { MemoryLogger, runOnFolder, useWorkspace } from '../support/workspace';

/**
 * One history touching every kind of object the fingerprint reads, including
 * changes that alter the definition of an object elsewhere without writing a
 * row of its own (a renamed column inside another table's foreign key, a
 * renamed table inside a view, a renamed type in a column, a renamed
 * function in a trigger, a dropped foreign key, a renamed table's row type
 * in another table, a renamed schema's objects named elsewhere, a renamed
 * field in a view, a renamed operator class in an index, a renamed index,
 * whose migration locks the index and not its table; then renamed enum
 * values, functions, domains, sequences and collations named by defaults,
 * checks, indexes, generated columns and function bodies, views on views,
 * partitions attached and detached, inheritance, identity columns).
 */
const STEPS: Array<[string, string]> = [
  ['app/0001_base.sql', `CREATE TABLE account (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE invoice (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES account (id), total numeric(12, 2) DEFAULT 0);
CREATE TABLE untouched (id int PRIMARY KEY, note text);`],
  ['app/0002_rename_referenced.sql', 'ALTER TABLE account RENAME COLUMN id TO account_key;'],
  ['app/0003_view.sql', 'CREATE VIEW invoice_totals AS SELECT account_id, sum(total) AS total FROM invoice GROUP BY account_id;'],
  ['app/0004_rename_viewed.sql', 'ALTER TABLE invoice RENAME TO bill;'],
  ['app/0005_enum.sql', `CREATE TYPE status AS ENUM ('open', 'paid');
ALTER TABLE bill ADD COLUMN status status NOT NULL DEFAULT 'open';`],
  ['app/0006_rename_enum.sql', "ALTER TYPE status RENAME TO bill_status;\nALTER TYPE bill_status ADD VALUE 'void';"],
  ['app/0007_domain_function.sql', `CREATE DOMAIN positive AS numeric CHECK (VALUE > 0);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER bill_touch BEFORE UPDATE ON bill FOR EACH ROW EXECUTE FUNCTION touch();`],
  ['app/0008_rename_function.sql', 'ALTER FUNCTION touch() RENAME TO touch_row;'],
  ['app/0009_sequence.sql', `CREATE SEQUENCE bill_number START 1000;
ALTER TABLE bill ADD COLUMN number bigint DEFAULT nextval('bill_number');
ALTER SEQUENCE bill_number RENAME TO bill_no;`],
  ['app/0010_drop_fk_index.sql', `ALTER TABLE bill DROP CONSTRAINT invoice_account_id_fkey;
CREATE INDEX bill_status_idx ON bill (status);`],
  ['app/0011_drop_index_alter.sql', `DROP INDEX bill_status_idx;
ALTER TABLE bill ALTER COLUMN total SET NOT NULL, ALTER COLUMN number TYPE numeric(20);
ALTER TABLE account ALTER COLUMN email TYPE varchar(320), ALTER COLUMN email DROP NOT NULL;`],
  ['app/0012_schema.sql', `CREATE SCHEMA billing;
CREATE TABLE billing.ledger (id int PRIMARY KEY, amount positive);
CREATE TYPE billing.pair AS (a int, b text);`],
  ['app/0013_rename_schema.sql', 'ALTER SCHEMA billing RENAME TO finance;'],
  ['app/0014_partitions.sql', `CREATE TABLE event (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE event_2026 PARTITION OF event FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE event RENAME TO happening;`],
  ['app/0015_drop_cascade.sql', 'DROP TABLE bill CASCADE;\nDROP TYPE finance.pair;'],
  // Outside a transaction nothing says what changed: every unit is stamped again.
  ['app/0016_concurrently.sql', '-- stagegate:no-transaction\nCREATE INDEX CONCURRENTLY account_email ON account (email);'],
  ['app/0017_after.sql', 'ALTER TABLE account ADD COLUMN plan text;'],
  // An extension's members are not fingerprinted: joining one or leaving it writes only a pg_depend row.
  ['app/0018_into_extension.sql', 'ALTER EXTENSION plpgsql ADD TABLE account;'],
  ['app/0019_out_of_extension.sql', 'ALTER EXTENSION plpgsql DROP TABLE account;'],
  // A table's row type named by a column, a function and a domain elsewhere: they depend on the type, not on the table.
  ['app/0020_row_type.sql', `CREATE TABLE address (street text);
CREATE TABLE shipment (id int PRIMARY KEY, destination address);
CREATE FUNCTION street_of(a address) RETURNS text LANGUAGE sql AS $$ SELECT a.street $$;`],
  ['app/0021_rename_row_type.sql', 'ALTER TABLE address RENAME TO place;'],
  // Objects of one schema named elsewhere: renaming the schema writes no row of theirs, nor of what names them.
  ['app/0022_cross_schema.sql', `CREATE SCHEMA catalog;
CREATE TYPE catalog.color AS ENUM ('red', 'blue');
CREATE TABLE catalog.product (id int PRIMARY KEY);
CREATE TABLE paint (id int PRIMARY KEY, color catalog.color, product_id int REFERENCES catalog.product (id));
CREATE VIEW paint_products AS SELECT p.id FROM catalog.product p;`],
  ['app/0023_rename_cross_schema.sql', 'ALTER SCHEMA catalog RENAME TO inventory;'],
  // A field of a composite type named by a view.
  ['app/0024_composite_field.sql', `CREATE TYPE span AS (lo int, hi int);
CREATE TABLE booking (id int PRIMARY KEY, during span);
CREATE VIEW booking_starts AS SELECT id, (during).lo AS starts FROM booking;`],
  ['app/0025_rename_field.sql', 'ALTER TYPE span RENAME ATTRIBUTE lo TO low;'],
  // An operator class named by an index: not fingerprinted itself, and renaming it writes no row of the index.
  ['app/0026_operator_class.sql', `CREATE OPERATOR CLASS int4_alt FOR TYPE int4 USING btree AS
  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 btint4cmp(int4, int4);
CREATE TABLE reading (value int);
CREATE INDEX reading_value ON reading (value int4_alt);`],
  ['app/0027_rename_operator_class.sql', 'ALTER OPERATOR CLASS int4_alt USING btree RENAME TO int4_other;'],
  // ALTER INDEX locks the index, not its table, whose unit holds the index's rows.
  ['app/0028_index_setup.sql', 'CREATE TABLE gauge (id int PRIMARY KEY, v int);\nCREATE INDEX gauge_v ON gauge (v);'],
  ['app/0029_index_rename.sql', 'ALTER INDEX gauge_v RENAME TO gauge_value;'],
  ['app/0030_pkey_index_rename.sql', 'ALTER INDEX gauge_pkey RENAME TO gauge_key;\nALTER INDEX gauge_value SET (fillfactor = 70);'],
  ['app/0031_grant.sql', 'GRANT SELECT ON gauge TO PUBLIC;\nGRANT UPDATE (v) ON gauge TO PUBLIC;'],
  ['app/0032_enum_values.sql', `CREATE TYPE mood AS ENUM ('ok', 'bad');
CREATE TABLE feeling (id int, m mood DEFAULT 'ok' CHECK (m <> 'bad'));
CREATE INDEX feeling_ok ON feeling (id) WHERE m = 'ok';
CREATE VIEW fine_feelings AS SELECT id FROM feeling WHERE m = 'ok';`],
  ['app/0033_rename_value.sql', "ALTER TYPE mood RENAME VALUE 'ok' TO 'fine';"],
  ['app/0034_functions.sql', `CREATE FUNCTION twice(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 * 2';
CREATE TABLE calc (a int CHECK (twice(a) < 100), b int DEFAULT twice(2), c int GENERATED ALWAYS AS (twice(a)) STORED);
CREATE INDEX calc_twice ON calc (twice(a));
CREATE DOMAIN small AS int CHECK (twice(VALUE) < 10);
CREATE TABLE sized (v small);
CREATE FUNCTION quad(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT twice(twice(x)); END;`],
  ['app/0035_rename_function.sql', 'ALTER FUNCTION twice(int) RENAME TO double_it;'],
  ['app/0036_util.sql', 'CREATE SCHEMA util;'],
  ['app/0037_function_schema.sql', 'ALTER FUNCTION double_it(int) SET SCHEMA util;'],
  ['app/0038_domain_rename.sql', 'ALTER DOMAIN small RENAME TO tiny;'],
  ['app/0039_sequences.sql', `CREATE TABLE ticket (id int GENERATED ALWAYS AS IDENTITY, n bigserial);
CREATE TABLE stub (t bigint DEFAULT nextval('ticket_n_seq'));
CREATE SEQUENCE counter;
CREATE TABLE counted (n bigint DEFAULT nextval('counter'));`],
  ['app/0040_rename_sequences.sql', 'ALTER SEQUENCE ticket_n_seq RENAME TO ticket_number;\nALTER SEQUENCE ticket_id_seq RENAME TO ticket_ident;'],
  ['app/0041_sequence_schema.sql', 'ALTER SEQUENCE counter SET SCHEMA util;'],
  ['app/0042_collation.sql', 'CREATE COLLATION bytewise FROM "C";\nCREATE TABLE tag (name text COLLATE bytewise);\nCREATE INDEX tag_name ON tag (name COLLATE bytewise);'],
  ['app/0043_rename_collation.sql', 'ALTER COLLATION bytewise RENAME TO by_byte;'],
  ['app/0044_matview.sql', `CREATE MATERIALIZED VIEW tag_names AS SELECT name FROM tag;
CREATE VIEW tag_names_v AS SELECT name FROM tag_names;
CREATE VIEW tag_names_vv AS SELECT name FROM tag_names_v;`],
  ['app/0045_rename_under_views.sql', 'ALTER MATERIALIZED VIEW tag_names RENAME COLUMN name TO label;\nALTER VIEW tag_names_v RENAME COLUMN name TO label;\nALTER TABLE tag RENAME TO label_tag;'],
  ['app/0046_refresh.sql', 'REFRESH MATERIALIZED VIEW tag_names;'],
  ['app/0047_attach_setup.sql', `CREATE TABLE metric (at date NOT NULL, v int) PARTITION BY RANGE (at);
CREATE INDEX metric_v ON metric (v);
CREATE TABLE metric_a (at date NOT NULL, v int);
CREATE INDEX metric_a_v ON metric_a (v);
CREATE TABLE region (code int PRIMARY KEY) PARTITION BY LIST (code);
CREATE TABLE region_1 PARTITION OF region FOR VALUES IN (1);
CREATE TABLE region_2 (code int NOT NULL PRIMARY KEY);
CREATE TABLE store (region int REFERENCES region);`],
  ['app/0048_attach.sql', "ALTER TABLE metric ATTACH PARTITION metric_a FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');\nALTER TABLE region ATTACH PARTITION region_2 FOR VALUES IN (2);"],
  ['app/0049_detach.sql', 'ALTER TABLE metric DETACH PARTITION metric_a;\nALTER TABLE region DETACH PARTITION region_2;'],
  ['app/0050_index_attach.sql', `CREATE TABLE metric_b PARTITION OF metric FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
CREATE INDEX metric_at ON ONLY metric (at);
CREATE INDEX metric_b_at ON metric_b (at);`],
  ['app/0051_index_attach2.sql', 'ALTER INDEX metric_at ATTACH PARTITION metric_b_at;'],
  ['app/0052_inherits.sql', 'CREATE TABLE base_t (id int, note text);\nCREATE TABLE child_t (extra int) INHERITS (base_t);'],
  ['app/0053_inherits_change.sql', 'ALTER TABLE base_t RENAME COLUMN note TO remark;\nALTER TABLE child_t NO INHERIT base_t;'],
  ['app/0054_trigger_when.sql', `CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TABLE watched (v int, w int);
CREATE TRIGGER watched_v BEFORE UPDATE ON watched FOR EACH ROW WHEN (OLD.v IS DISTINCT FROM NEW.v) EXECUTE FUNCTION noop();
CREATE TABLE slot (r int4range, EXCLUDE USING gist (r WITH &&));`],
  ['app/0055_rename_columns.sql', 'ALTER TABLE watched RENAME COLUMN v TO value;\nALTER TABLE slot RENAME COLUMN r TO span;\nALTER TABLE feeling RENAME CONSTRAINT feeling_m_check TO feeling_mood;'],
  ['app/0056_add_attribute.sql', 'ALTER TYPE span ADD ATTRIBUTE mid int;'],
  ['app/0057_range.sql', 'CREATE TYPE intspan AS RANGE (subtype = int);\nCREATE TABLE period (p intspan, q intspan[]);'],
  ['app/0058_rename_range.sql', 'ALTER TYPE intspan RENAME TO int_span;'],
  ['app/0059_identity.sql', 'ALTER TABLE stub ALTER COLUMN t DROP DEFAULT, ALTER COLUMN t SET NOT NULL, ALTER COLUMN t ADD GENERATED BY DEFAULT AS IDENTITY;'],
  ['app/0060_identity2.sql', 'ALTER TABLE stub ALTER COLUMN t SET GENERATED ALWAYS, ALTER COLUMN t SET INCREMENT BY 5;\nALTER TABLE ticket ALTER COLUMN id DROP IDENTITY;'],
  ['app/0061_unlogged.sql', 'ALTER TABLE stub SET UNLOGGED;'],
  ['app/0062_logged.sql', 'ALTER TABLE stub SET LOGGED;\nALTER TABLE label_tag ENABLE ROW LEVEL SECURITY;\nALTER TABLE gauge REPLICA IDENTITY USING INDEX gauge_key;'],
  ['app/0063_typed_table.sql', 'CREATE TYPE pt AS (x int, y int);\nCREATE TABLE points OF pt;\nCREATE VIEW xs AS SELECT x FROM points;'],
  ['app/0064_typed_rename.sql', 'ALTER TYPE pt RENAME ATTRIBUTE x TO xx CASCADE;\nALTER TYPE pt ADD ATTRIBUTE z int CASCADE;'],
  ['app/0065_table_schema.sql', `CREATE TABLE owner_t (id int PRIMARY KEY);
CREATE TABLE pet (owner_id int REFERENCES owner_t, o owner_t);
CREATE VIEW owners AS SELECT id FROM owner_t;
CREATE FUNCTION owner_count() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM owner_t; END;`],
  ['app/0066_move_table.sql', 'ALTER TABLE owner_t SET SCHEMA util;\nALTER TYPE mood SET SCHEMA util;'],
  ['app/0067_atomic_column.sql', 'ALTER TABLE util.owner_t RENAME COLUMN id TO owner_key;'],
  ['app/0068_drop_cascade.sql', 'DROP FUNCTION util.double_it(int) CASCADE;'],
  ['app/0069_fk_setup.sql', `CREATE TABLE customer (id int PRIMARY KEY);
CREATE TABLE purchase (id int, customer_id int REFERENCES customer) PARTITION BY RANGE (id);
CREATE TABLE purchase_1 PARTITION OF purchase FOR VALUES FROM (0) TO (100);
CREATE TABLE purchase_2 (id int, customer_id int);
CREATE TABLE loyalty (customer_id int REFERENCES customer);
CREATE TRIGGER purchase_noop BEFORE UPDATE ON purchase FOR EACH ROW EXECUTE FUNCTION noop();
CREATE FUNCTION first_place(p place[]) RETURNS text LANGUAGE sql AS $$ SELECT p[1].street $$;`],
  ['app/0070_fk_attach.sql', 'ALTER TABLE purchase ATTACH PARTITION purchase_2 FOR VALUES FROM (100) TO (200);'],
  // ALTER CONSTRAINT rewrites the referenced table's triggers without locking it.
  ['app/0071_fk_deferrable.sql', 'ALTER TABLE loyalty ALTER CONSTRAINT loyalty_customer_id_fkey DEFERRABLE INITIALLY DEFERRED;\nALTER TABLE purchase ALTER CONSTRAINT purchase_customer_id_fkey DEFERRABLE;'],
  ['app/0072_trigger_rename.sql', 'ALTER TRIGGER purchase_noop ON purchase RENAME TO purchase_touch;'],
  ['app/0073_detach_fk.sql', 'ALTER TABLE purchase DETACH PARTITION purchase_2;'],
  ['app/0074_rename_array_row_type.sql', 'ALTER TABLE place RENAME TO venue;'],
  ['app/0075_fk_partition_create.sql', 'CREATE TABLE purchase_3 PARTITION OF purchase FOR VALUES FROM (200) TO (300);\nALTER TABLE purchase DROP CONSTRAINT purchase_customer_id_fkey;'],
  ['app/0076_fk_not_enforced.sql', 'ALTER TABLE loyalty ALTER CONSTRAINT loyalty_customer_id_fkey NOT ENFORCED;'],
  ['app/0077_fk_enforced.sql', 'ALTER TABLE loyalty ALTER CONSTRAINT loyalty_customer_id_fkey ENFORCED;'],
  ['app/0078_policy_rule.sql', "CREATE POLICY own ON customer USING (id > 0);\nCREATE RULE loyal AS ON INSERT TO loyalty DO ALSO NOTIFY loyal;\nCOMMENT ON TABLE customer IS 'buyers';"],
  ['app/0079_partkey_function.sql', `CREATE FUNCTION bucket(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 / 10';
CREATE TABLE sample (v int) PARTITION BY RANGE (bucket(v));`],
  ['app/0080_rename_partkey_function.sql', 'ALTER FUNCTION bucket(int) RENAME TO bucket_of;'],
  // A renamed enum value in constants of the types made of the enum: they depend on those types, not on the enum.
  ['app/0081_enum_array.sql', `CREATE TYPE shade AS ENUM ('light', 'dark');
CREATE TABLE canvas (shades shade[] DEFAULT '{light}' CHECK (shades <> '{dark}'));
CREATE VIEW light_canvas AS SELECT shades FROM canvas WHERE shades = '{light}';`],
  ['app/0082_rename_enum_array_value.sql', "ALTER TYPE shade RENAME VALUE 'light' TO 'pale';"],
  ['app/0083_more_names.sql', `CREATE VIEW pet_owners AS SELECT (o).owner_key AS owner FROM pet;
CREATE CONSTRAINT TRIGGER pet_check AFTER INSERT ON pet FROM customer FOR EACH ROW EXECUTE FUNCTION noop();
CREATE FUNCTION shade_or(s shade DEFAULT 'dark') RETURNS shade LANGUAGE sql BEGIN ATOMIC SELECT coalesce(s, 'dark'::shade); END;
CREATE SEQUENCE ticket_seq;
CREATE VIEW next_ticket AS SELECT nextval('ticket_seq') AS n;
CREATE FUNCTION low_of(s span) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT (s).low; END;
CREATE DOMAIN shades AS shade[] CHECK (VALUE <> '{dark}');`],
  ['app/0084_rename_more.sql', `ALTER TABLE util.owner_t RENAME COLUMN owner_key TO key;
ALTER TABLE customer RENAME TO client;
ALTER TYPE shade RENAME VALUE 'dark' TO 'deep';
ALTER SEQUENCE ticket_seq RENAME TO ticket_sequence;
ALTER TYPE span RENAME ATTRIBUTE low TO bottom;`],
  ['app/0085_enum_inside.sql', `CREATE TYPE shade_range AS RANGE (subtype = shade);
CREATE TYPE tint AS (s shade, n int);
CREATE TABLE palette (r shade_range DEFAULT '[pale,deep]', t tint DEFAULT '(pale,1)');`],
  ['app/0086_rename_enum_inside.sql', "ALTER TYPE shade RENAME VALUE 'pale' TO 'pastel';"],
  ['app/0087_inherited_check.sql', 'CREATE TABLE base2 (a int CHECK (a > 0));\nCREATE TABLE kid2 () INHERITS (base2);'],
  ['app/0088_rename_inherited.sql', `ALTER TABLE base2 RENAME CONSTRAINT base2_a_check TO base2_positive;
ALTER TABLE base2 RENAME COLUMN a TO amount;
ALTER COLLATION by_byte SET SCHEMA util;
ALTER TYPE shade_range RENAME TO shade_span;`],
  // A migration's session settings: the baseline stored after it is read as any later session reads it.
  ['app/0089_session_settings.sql', `SET TIME ZONE 'America/New_York';
SET DateStyle = 'SQL, DMY';
CREATE TABLE appointment (at timestamptz DEFAULT '2026-01-01 09:00+00', day date DEFAULT '2026-03-04');`],
  ['app/0090_swap_setup.sql', `CREATE TYPE level AS ENUM ('low', 'high');
CREATE TABLE alarm (id int PRIMARY KEY, lvl level DEFAULT 'low' CHECK (lvl <> 'high'));
CREATE TABLE alarm_log (alarm_id int REFERENCES alarm);
CREATE VIEW alarms AS SELECT id, lvl FROM alarm;`],
  ['app/0091_enum_swap.sql', `ALTER TYPE level RENAME TO level_old;
CREATE TYPE level AS ENUM ('low', 'mid', 'high');
ALTER TABLE alarm DROP CONSTRAINT alarm_lvl_check, ALTER COLUMN lvl DROP DEFAULT;
DROP VIEW alarms;
ALTER TABLE alarm ALTER COLUMN lvl TYPE level USING lvl::text::level, ALTER COLUMN lvl SET DEFAULT 'mid';
DROP TYPE level_old;
CREATE VIEW alarms AS SELECT id, lvl FROM alarm;`],
  ['app/0092_table_swap.sql', `CREATE TABLE alarm_new (LIKE alarm INCLUDING ALL);
ALTER TABLE alarm RENAME TO alarm_old;
ALTER TABLE alarm_new RENAME TO alarm;
ALTER TABLE alarm_log ADD CONSTRAINT alarm_log_new_fkey FOREIGN KEY (alarm_id) REFERENCES alarm NOT VALID;
ALTER TABLE alarm_log VALIDATE CONSTRAINT alarm_log_new_fkey;
ALTER TABLE alarm ADD COLUMN serial_no int GENERATED ALWAYS AS IDENTITY;`],
  ['app/0093_partition_roll.sql', `CREATE TABLE metric_c PARTITION OF metric FOR VALUES FROM ('2022-01-01') TO ('2023-01-01');
ALTER TABLE metric DETACH PARTITION metric_b;
DROP TABLE metric_b;
ALTER TYPE level ADD VALUE 'critical';`],
];

const ordered = (objects: readonly SchemaObject[]): string[] => objects.map((o) => `${o.kind}\t${o.name}\t${o.definition}`).sort();

describe('Integration: the drift baseline stored unit by unit', () => {
  const db = useTestDatabase();
  const ws = useWorkspace();

  /** The stored stamp and the live one: equal means the next check reads no definition. */
  const stamps = async (): Promise<[string | undefined, string | undefined]> => {
    const [row] = await db.query<{ value: string }>("select value from stagegate.meta where key = 'schema_baseline'");
    const [live] = await db.query<{ stamp: string }>(`select (${LIVE_STAMP_SQL}) as stamp`, [['stagegate']]);
    return [row?.value.split(' ')[0], live?.stamp];
  };
  const stored = async (): Promise<string[]> => ordered(await db.query<SchemaObject>('select kind, name, definition from stagegate.schema_objects'));
  const live = async (): Promise<string[]> => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return ordered(await readSchemaObjects(client, ['stagegate']));
    } finally {
      await client.end();
    }
  };
  /** The differences `stagegate drift` reports: none, or those of its DRIFT_DETECTED error. */
  const driftNow = async (): Promise<Array<{ change: string; name: string }>> => {
    const command = driftCommand({ db: new PgMigrationDatabase({ connectionString: db.url, lockPollMs: 20 }), logger: new MemoryLogger() }, { actor: 'test' }, { lockWaitMs: 5_000 });
    const outcome = await command.then((r) => r.differences, (error: unknown) => error);
    if (Array.isArray(outcome)) return outcome;
    const error = await failure(Promise.reject(outcome));
    expect(error.code).toBe('DRIFT_DETECTED');
    return error.details.differences as Array<{ change: string; name: string }>;
  };

  it('equals a full read of the catalog after every step of a history that renames, retypes and drops', async () => {
    // Prepare
    const files: Record<string, string> = {};
    const mismatches: string[] = [];
    for (const [file, sql] of STEPS) {
      files[file] = sql;
      // Act
      await runOnFolder(ws.migrations(files), db.url, { action: 'migrate' });
      // Assess (collected, so that one failure shows every step it happened at)
      const [want, got] = [await live(), await stored()];
      const [storedStamp, liveStamp] = await stamps();
      if (storedStamp !== liveStamp) mismatches.push(`${file}: stored stamp ${storedStamp}, live ${liveStamp}`);
      if (want.join('\n') !== got.join('\n')) {
        mismatches.push(`${file}: missing ${JSON.stringify(want.filter((l) => !got.includes(l)))}, stale ${JSON.stringify(got.filter((l) => !want.includes(l)))}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(await driftNow()).toEqual([]);
  });

  it('rewrites only the units a run changed: the baseline rows of a table no migration touched are not written again', async () => {
    // Prepare
    const files = { [STEPS[0]![0]]: STEPS[0]![1] };
    await runOnFolder(ws.migrations(files), db.url, { action: 'migrate' });
    const rowsOf = "select xmin::text as x from stagegate.schema_objects where name like 'public.untouched%' order by name";
    const before = await db.query<{ x: string }>(rowsOf);
    // Act
    await runOnFolder(ws.migrations({ ...files, 'app/0002_more.sql': 'ALTER TABLE account ADD COLUMN name text;' }), db.url, { action: 'migrate' });
    // Assess
    expect(before.length).toBeGreaterThan(1);
    expect(await db.query<{ x: string }>(rowsOf)).toEqual(before);
    expect(await stored()).toEqual(await live());
  });

  it('after a run whose check proved the stamps live, stamps again only the units its migrations locked', async () => {
    // Prepare: a stored stamp of a table no migration will touch is made wrong, the stamp of the whole left right
    const files = { [STEPS[0]![0]]: STEPS[0]![1] };
    await runOnFolder(ws.migrations(files), db.url, { action: 'migrate' });
    await db.query("update stagegate.schema_units set stamp = stamp + 1 where unit - 4294967296 = 'public.untouched'::regclass::oid::bigint");
    // Act
    await runOnFolder(ws.migrations({ ...files, 'app/0002_more.sql': 'ALTER TABLE account ADD COLUMN name text;' }), db.url, { action: 'migrate' });
    // Assess: the wrong unit was not read again (a pass over every unit would have mended it), the changed one was
    const [storedStamp, liveStamp] = await stamps();
    expect(BigInt(storedStamp ?? 0) - BigInt(liveStamp ?? 0)).toBe(1n);
    expect(await stored()).toEqual(await live());
  });

  it('still finds a change made by hand after a run, and a GRANT alone is not drift', async () => {
    // Prepare
    const files = { [STEPS[0]![0]]: STEPS[0]![1] };
    await runOnFolder(ws.migrations(files), db.url, { action: 'migrate' });
    // Act
    await db.query('GRANT SELECT ON account TO PUBLIC');
    const grantStamps = await stamps();
    const afterGrant = await driftNow();
    await db.query('ALTER TABLE untouched RENAME COLUMN note TO remark');
    const afterRename = await driftNow();
    // Assess
    expect(afterGrant).toEqual([]);
    // The GRANT wrote a catalog row: the stamps differ, and the full comparison found nothing.
    expect(grantStamps[0]).not.toEqual(grantStamps[1]);
    expect(afterRename.map((d) => `${d.change} ${d.name}`).sort()).toEqual(['added public.untouched.remark', 'removed public.untouched.note']);
  });

  it('finds a table added to an extension by hand, and taken out again, though neither writes a row of the table', async () => {
    // Prepare
    await runOnFolder(ws.migrations({ [STEPS[0]![0]]: STEPS[0]![1] }), db.url, { action: 'migrate' });
    // Act
    await db.query('ALTER EXTENSION plpgsql ADD TABLE untouched');
    const whileMember = await driftNow();
    await db.query('ALTER EXTENSION plpgsql DROP TABLE untouched');
    const afterLeaving = await driftNow();
    // Assess: a member is left out of the fingerprint, so it reads as gone while it is one
    expect(whileMember.map((d) => `${d.change} ${d.name}`)).toEqual(expect.arrayContaining(['removed public.untouched']));
    expect(afterLeaving).toEqual([]);
  });

  it('finds an operator class renamed by hand, though the index that names it has no row of its own written', async () => {
    // Prepare
    await runOnFolder(ws.migrations({ ...Object.fromEntries(STEPS.slice(0, 1)), 'app/0002_operator_class.sql': STEPS.find(([f]) => f.endsWith('_operator_class.sql'))![1] }), db.url, {
      action: 'migrate',
    });
    // Act
    await db.query('ALTER OPERATOR CLASS int4_alt USING btree RENAME TO int4_other');
    const afterRename = await driftNow();
    // Assess
    expect(afterRename.map((d) => `${d.change} ${d.name}`)).toEqual(['changed public.reading.reading_value']);
  });

  it('finds a language renamed by hand, though it is in no schema and no row of the functions written in it is written', async () => {
    // Prepare
    const touch = 'CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;';
    await runOnFolder(ws.migrations({ [STEPS[0]![0]]: STEPS[0]![1], 'app/0002_function.sql': touch }), db.url, { action: 'migrate' });
    // Act
    await db.query('ALTER LANGUAGE plpgsql RENAME TO plpgsql_renamed');
    const afterRename = await driftNow();
    // Assess
    expect(afterRename.map((d) => `${d.change} ${d.name}`)).toEqual(['changed public.touch()']);
  });

  it('stamps every unit again after a run whose check found the stamps different, so a GRANT costs one full comparison, not every one', async () => {
    // Prepare
    const files = { [STEPS[0]![0]]: STEPS[0]![1] };
    await runOnFolder(ws.migrations(files), db.url, { action: 'migrate' });
    await db.query('GRANT SELECT ON untouched TO PUBLIC');
    // Act: a run that touches another table only
    await runOnFolder(ws.migrations({ ...files, 'app/0002_more.sql': 'ALTER TABLE account ADD COLUMN name text;' }), db.url, { action: 'migrate' });
    // Assess
    const [storedStamp, liveStamp] = await stamps();
    expect(storedStamp).toEqual(liveStamp);
    expect(await stored()).toEqual(await live());
  });
});
