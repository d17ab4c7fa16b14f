import type { SourceFile } from '../../lib/core/catalog';

/** A small folder for unit tests of squash: a cross-app dependency, reverse scripts, a seed, a no-transaction index, and grants (on an object, and of a role). */
export const SQUASH_FILES: SourceFile[] = [
  { path: 'base/0001_account.sql', content: 'CREATE TABLE account (id int PRIMARY KEY);' },
  { path: 'shop/0001_orders.sql', content: 'CREATE TABLE orders (id int);' },
  { path: 'shop/0001_orders.down.sql', content: 'DROP TABLE orders;' },
  { path: 'shop/0002_owner.sql', content: '-- stagegate:depends-on base/0001_account\nALTER TABLE orders ADD COLUMN account_id int REFERENCES account (id);' },
  { path: 'shop/0002_owner.down.sql', content: 'ALTER TABLE orders DROP COLUMN account_id;' },
  { path: 'shop/0003_items.sql', content: 'CREATE TABLE items (id int);' },
  { path: 'shop/0004_seed.sql', content: "CREATE TABLE kinds (name text);\n\n-- a seed\nINSERT INTO kinds VALUES ('a');" },
  { path: 'shop/0005_index.sql', content: '-- stagegate:no-transaction\nCREATE INDEX CONCURRENTLY items_id ON items (id);' },
  { path: 'shop/0006_grant.sql', content: 'GRANT SELECT ON items TO PUBLIC;\nGRANT api TO migrator;' },
];

/**
 * A generated history for squash tests: `count` migrations of app `hist`
 * that create tables, add columns later, link them with foreign keys, index
 * them, change a column's type, drop a column, and add an enum, a domain, a
 * function with a trigger, a view, a sequence and comments; one migration
 * depends on app `base`.
 */
export function generatedHistory(count: number): Record<string, string> {
  const files: Record<string, string> = {
    'base/0001_account.sql': 'CREATE TABLE base_account (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE);',
    'hist/0001_types.sql': "CREATE TYPE hist_status AS ENUM ('new', 'done');\nCREATE DOMAIN hist_positive AS integer CHECK (VALUE > 0);",
    'hist/0002_touch.sql':
      'CREATE FUNCTION hist_touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.touched_at := now();\n  RETURN NEW;\nEND\n$$;\n' +
      "CREATE FUNCTION hist_is_code(value text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT value ~ '^[a-z]+$' $$;",
    'hist/0003_owner.sql': '-- stagegate:depends-on base/0001_account\nCREATE TABLE hist_owner (id serial PRIMARY KEY, account_id bigint NOT NULL REFERENCES base_account (id), code text CHECK (hist_is_code(code)));',
  };
  let table = 0;
  for (let n = 4; n <= count - 3; n += 1) {
    const number = String(n).padStart(4, '0');
    const step = (n - 4) % 5;
    if (step === 0) table += 1;
    const t = `hist_t${table}`;
    const sql =
      step === 0 ? `CREATE TABLE ${t} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, touched_at timestamptz);`
      : step === 1 ? `ALTER TABLE ${t} ADD COLUMN note varchar(20) DEFAULT 'x', ADD COLUMN size hist_positive;`
      : step === 2 ? `ALTER TABLE ${t} ADD COLUMN ${table === 1 ? 'owner_id integer REFERENCES hist_owner (id)' : `parent_id bigint REFERENCES hist_t${table - 1} (id) ON DELETE CASCADE`};\nCREATE INDEX ${t}_link_idx ON ${t} (${table === 1 ? 'owner_id' : 'parent_id'});`
      : step === 3 ? `ALTER TABLE ${t} ALTER COLUMN note TYPE text;\nALTER TABLE ${t} ADD COLUMN status hist_status NOT NULL DEFAULT 'new';`
      : `ALTER TABLE ${t} DROP COLUMN note;\nCREATE TRIGGER ${t}_touch BEFORE UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION hist_touch();`;
    files[`hist/${number}_step_${n}.sql`] = sql;
    files[`hist/${number}_step_${n}.down.sql`] = `-- reverse of step ${n}\nSELECT 1;`;
  }
  const tail = (n: number): string => String(n).padStart(4, '0');
  files[`hist/${tail(count - 2)}_summary_view.sql`] =
    `CREATE VIEW hist_summary AS SELECT t.id, t.name, t.status FROM hist_t1 t WHERE t.status = 'new';\n` +
    'CREATE VIEW hist_summary_count AS SELECT count(*) AS n FROM hist_summary;';
  files[`hist/${tail(count - 1)}_numbers.sql`] =
    'CREATE SEQUENCE hist_numbers START 100 INCREMENT 5;\n' +
    "CREATE TABLE hist_ticket (number integer NOT NULL DEFAULT nextval('hist_numbers'), code text COLLATE \"C\", UNIQUE (number));\n" +
    'ALTER SEQUENCE hist_numbers OWNED BY hist_ticket.number;';
  files[`hist/${tail(count)}_comments.sql`] = "COMMENT ON TABLE hist_owner IS 'Who owns what';\nCOMMENT ON COLUMN hist_owner.code IS 'a short code';";
  return files;
}
