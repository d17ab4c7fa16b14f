import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { adminUrl } from '../support/database';
import { failure } from '../support/failure';
import { fingerprint, squashFolder as squash, useSquashWorkspace } from '../support/squash-run';
import { copyExampleApps, REPO_MIGRATIONS, runOnFolder } from '../support/workspace';

describe('Integration: stagegate squash carries rows and privileges, and proves them', () => {
  const context = useSquashWorkspace();

  it('with data, carries the seed rows of the example app and proves them too', async () => {
    // Prepare
    const dir = copyExampleApps(context.ws.dir);
    // Act
    const result = await squash(dir, 'organization', '0002', undefined, true);
    // Assess
    expect(result).toMatchObject({ squash: 'organization/0002_squashed_0001_0002', withData: true, dependsOn: [] });
    const text = readFileSync(join(dir, result.file), 'utf8');
    expect(text).toContain('INSERT INTO public.organization_organizationtype (id, name) OVERRIDING SYSTEM VALUE');
    expect(text).toContain("SELECT pg_catalog.setval('public.organization_organizationtype_id_seq', 3, true)");
    const [withSquash, withOriginals] = [await context.fresh(), await context.fresh()];
    const squashed = await runOnFolder(dir, withSquash.url, { action: 'migrate' });
    expect(squashed.applied.map((a) => a.id)).toEqual([result.squash, 'membership/0001_initial', 'organization/0003_organization_name_index']);
    await runOnFolder(REPO_MIGRATIONS, withOriginals.url, { action: 'migrate' });
    expect(await fingerprint(withSquash.url)).toBe(await fingerprint(withOriginals.url));
    const types = 'select id, name from organization_organizationtype order by id';
    expect(await withSquash.query(types)).toEqual(await withOriginals.query(types));
    await withSquash.query("insert into organization_organizationtype (name) values ('club')");
    expect(await withSquash.query("select id from organization_organizationtype where name = 'club'")).toEqual([{ id: 4 }]);
  }, 60_000);

  it('with data, refuses a range that changes rows of tables it did not create', async () => {
    // Prepare
    const dir = context.ws.migrations({
      'base/0001_kind.sql': "CREATE TABLE sq_kind (name text);\nINSERT INTO sq_kind VALUES ('a');",
      'extra/0001_more.sql': "-- stagegate:depends-on base/0001_kind\nCREATE TABLE sq_more (id int);\nUPDATE sq_kind SET name = 'b';",
    });
    // Act
    const refused = await failure(squash(dir, 'extra', '0001', undefined, true));
    // Assess
    expect(refused.code).toBe('SQUASH_REFUSED');
    expect(refused.message).toContain('the range changes the rows of table public.sq_kind, which it did not create');
  }, 60_000);

  it('carries and proves the privileges the range grants on its objects, and refuses grants on objects it did not create', async () => {
    // Prepare: roles are the server's, shared by every database on it.
    const role = `sq_api_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    await admin.query(`create role ${role}`);
    const dir = context.ws.migrations({
      'base/0001_account.sql': 'CREATE TABLE sq_grant_account (id int);',
      'shop/0001_orders.sql':
        `CREATE SCHEMA sq_shop;\nCREATE TABLE sq_shop.orders (id serial PRIMARY KEY, note text);\nGRANT USAGE ON SCHEMA sq_shop TO ${role};\n` +
        `GRANT SELECT, INSERT ON sq_shop.orders TO ${role};\nGRANT USAGE ON SEQUENCE sq_shop.orders_id_seq TO ${role};\n` +
        `CREATE FUNCTION sq_shop.total() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM sq_shop.orders $$;\n` +
        `REVOKE EXECUTE ON FUNCTION sq_shop.total() FROM PUBLIC;\nGRANT EXECUTE ON FUNCTION sq_shop.total() TO ${role} WITH GRANT OPTION;`,
      'other/0001_peek.sql': `-- stagegate:depends-on base/0001_account\nGRANT SELECT ON sq_grant_account TO ${role};`,
    });
    try {
      // Act
      const result = await squash(dir, 'shop', '0001');
      const refused = await failure(squash(dir, 'other', '0001'));
      // Assess
      const text = readFileSync(join(dir, result.file), 'utf8');
      expect(text).toContain(`GRANT SELECT ON TABLE sq_shop.orders TO ${role};`);
      expect(text).toContain(`GRANT EXECUTE ON ROUTINE sq_shop.total() TO ${role} WITH GRANT OPTION;`);
      expect(refused.message).toContain('the range changes the privileges of table public.sq_grant_account, which it did not create');
    } finally {
      await context.dropDatabases();
      await admin.query(`drop owned by ${role}`).catch(() => undefined);
      await admin.query(`drop role if exists ${role}`).catch(() => undefined);
      await admin.end();
    }
  }, 60_000);

  it('proves the comments of its objects, and refuses a range that comments on objects it did not create', async () => {
    // Prepare
    const dir = context.ws.migrations({
      'base/0001_account.sql': 'CREATE TABLE sq_note_account (id int);',
      'shop/0001_orders.sql': "CREATE TABLE sq_note_orders (id int);\nCOMMENT ON TABLE sq_note_orders IS 'it''s orders';\nCOMMENT ON COLUMN sq_note_orders.id IS 'the id';",
      'other/0001_note.sql': "-- stagegate:depends-on base/0001_account\nCOMMENT ON TABLE sq_note_account IS 'accounts';",
    });
    // Act
    const result = await squash(dir, 'shop', '0001');
    const refused = await failure(squash(dir, 'other', '0001'));
    // Assess
    expect(readFileSync(join(dir, result.file), 'utf8')).toContain("COMMENT ON TABLE public.sq_note_orders IS 'it''s orders';");
    expect(refused.message).toContain('the range changes the comment of table public.sq_note_account, which it did not create');
  }, 60_000);
});
