import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCatalog } from '../../lib/core/catalog';
import { readMigrationsFolder } from '../../lib/adapters/fs/read-migrations-folder';
import { failure } from '../support/failure';
import { generatedHistory } from '../support/squash-fixtures';
import { fingerprint, squashFolder as squash, useSquashWorkspace } from '../support/squash-run';
import { copyExampleApps, REPO_MIGRATIONS, runOnFolder } from '../support/workspace';

describe('Integration: stagegate squash builds, proves and writes a squash', () => {
  const context = useSquashWorkspace();

  it('squashes a generated history of 200 migrations into one that builds the same schema', async () => {
    // Prepare
    const dir = context.ws.migrations(generatedHistory(200));
    // Act
    const result = await squash(dir, 'hist', '0200');
    // Assess
    expect(result).toMatchObject({ squash: 'hist/0200_squashed_0001_0200', file: 'hist/0200_squashed_0001_0200.sql', irreversible: true, dependsOn: ['base/0001_account'] });
    expect(result.replaced).toHaveLength(200);
    const text = readFileSync(join(dir, result.file), 'utf8');
    const catalog = buildCatalog(await readMigrationsFolder(dir));
    const squashMigration = catalog.find((m) => m.id === result.squash);
    expect(squashMigration?.directives.replaces).toHaveLength(200);
    expect(squashMigration?.directives.dependsOn).toEqual(['base/0001_account']);
    expect(text).toContain('CREATE VIEW');
    const [withSquash, withOriginals] = [await context.fresh(), await context.fresh()];
    const squashed = await runOnFolder(dir, withSquash.url, { action: 'migrate' });
    expect(squashed.applied.map((a) => a.id)).toEqual(['base/0001_account', result.squash]);
    const originalsOnly = context.ws.migrations(generatedHistory(200));
    await runOnFolder(originalsOnly, withOriginals.url, { action: 'migrate' });
    expect(await fingerprint(withSquash.url)).toBe(await fingerprint(withOriginals.url));
    expect(await fingerprint(withSquash.url)).toBe(result.fingerprint);
  }, 120_000);

  it('squashes the example app organization up to its data migration, and refuses past it, naming why', async () => {
    // Prepare
    const dir = copyExampleApps(context.ws.dir);
    const before = readdirSync(join(dir, 'organization')).sort();
    // Act
    const refused = await failure(squash(dir, 'organization', '0003'));
    const dataOnly = await failure(squash(dir, 'organization', '0002'));
    const result = await squash(dir, 'organization', '0001');
    // Assess
    expect(refused.code).toBe('SQUASH_REFUSED');
    expect(refused.message).toMatch(/organization\/0002_organization_type\.sql:\d+: INSERT INTO organization_organizationtype/);
    expect(refused.message).toContain('organization/0003_organization_name_index is no-transaction');
    expect(dataOnly.message).toContain('a data statement');
    expect(dataOnly.message).not.toContain('no-transaction');
    expect(result).toMatchObject({ squash: 'organization/0001_squashed_0001_0001', irreversible: false, downFile: 'organization/0001_squashed_0001_0001.down.sql' });
    expect(readdirSync(join(dir, 'organization')).sort()).toEqual([...before, '0001_squashed_0001_0001.down.sql', '0001_squashed_0001_0001.sql'].sort());
    expect(readFileSync(join(dir, 'organization/0001_squashed_0001_0001.down.sql'), 'utf8')).toContain('DROP TABLE organization;');
    const catalog = buildCatalog(await readMigrationsFolder(dir));
    expect(catalog.find((m) => m.id === 'organization/0002_organization_type')?.dependencies).toEqual(['organization/0001_initial', result.squash]);
    const [withSquash, withOriginals] = [await context.fresh(), await context.fresh()];
    const squashed = await runOnFolder(dir, withSquash.url, { action: 'migrate' });
    expect(squashed.applied.map((a) => a.id)).toContain(result.squash);
    expect(squashed.applied.map((a) => a.id)).not.toContain('organization/0001_initial');
    await runOnFolder(REPO_MIGRATIONS, withOriginals.url, { action: 'migrate' });
    expect(await fingerprint(withSquash.url)).toBe(await fingerprint(withOriginals.url));
  }, 60_000);

  it('records the squash without running it on a database that applied the originals, ending with the same schema', async () => {
    // Prepare
    const files = generatedHistory(12);
    const dir = context.ws.migrations(files);
    const database = await context.fresh();
    await runOnFolder(dir, database.url, { action: 'migrate' });
    const applied = await fingerprint(database.url);
    // Act
    const result = await squash(dir, 'hist', '0012', '0001');
    const run = await runOnFolder(dir, database.url, { action: 'migrate' });
    // Assess
    expect(run.applied).toEqual([{ id: result.squash, durationMs: 0, method: 'recorded' }]);
    expect(await fingerprint(database.url)).toBe(applied);
    expect(await fingerprint(database.url)).toBe(result.fingerprint);
  }, 60_000);

  it('squashes a later range, which then depends on what came before it', async () => {
    // Prepare
    const dir = context.ws.migrations(generatedHistory(40));
    // Act
    const result = await squash(dir, 'hist', '0030', '0010');
    // Assess
    const catalog = buildCatalog(await readMigrationsFolder(dir));
    expect(catalog.find((m) => m.id === result.squash)?.dependencies).toEqual(['hist/0009_step_9']);
    // The next migration depends on the whole number 0030; the planner reads the original as the squash.
    expect(catalog.find((m) => m.id === 'hist/0031_step_31')?.dependencies).toEqual([result.squash, 'hist/0030_step_30']);
    const [withSquash, withOriginals] = [await context.fresh(), await context.fresh()];
    await runOnFolder(dir, withSquash.url, { action: 'migrate' });
    await runOnFolder(context.ws.migrations(generatedHistory(40)), withOriginals.url, { action: 'migrate' });
    expect(await fingerprint(withSquash.url)).toBe(await fingerprint(withOriginals.url));
  }, 60_000);

  it('adds columns to tables of other apps with ALTER TABLE, and refuses a range that changes them', async () => {
    // Prepare
    const dir = context.ws.migrations({
      'base/0001_account.sql': 'CREATE TABLE sq_account (id bigserial PRIMARY KEY, email text);',
      'extra/0001_flags.sql': '-- stagegate:depends-on base/0001_account\nALTER TABLE sq_account ADD COLUMN flagged boolean NOT NULL DEFAULT false;\nCREATE INDEX sq_account_flagged ON sq_account (flagged);',
      'extra/0002_more.sql': 'CREATE TABLE sq_flag (account_id bigint REFERENCES sq_account (id));',
      'other/0001_narrow.sql': '-- stagegate:depends-on base/0001_account\nALTER TABLE sq_account ALTER COLUMN email TYPE varchar(200);',
    });
    // Act
    const result = await squash(dir, 'extra', '0002');
    const refused = await failure(squash(dir, 'other', '0001'));
    // Assess
    expect(result.dependsOn).toEqual(['base/0001_account']);
    expect(readFileSync(join(dir, result.file), 'utf8')).toContain('ALTER TABLE public.sq_account ADD COLUMN flagged boolean DEFAULT false NOT NULL;');
    expect(refused.code).toBe('SQUASH_REFUSED');
    expect(refused.message).toContain('column public.sq_account.email changed by the range: text → character varying(200)');
  }, 60_000);

  it('refuses unknown numbers, a squash that exists, and writes nothing', async () => {
    // Prepare
    const dir = context.ws.migrations(generatedHistory(8));
    // Act
    const unknown = await failure(squash(dir, 'hist', '0099'));
    const noApp = await failure(squash(dir, 'nope', '0001'));
    await squash(dir, 'hist', '0004');
    const again = await failure(squash(dir, 'hist', '0004'));
    // Assess
    expect(unknown.message).toContain('--to 0099: app hist has no migration with that number');
    expect(noApp.message).toContain('there is no app nope');
    expect(again.code).toBe('SQUASH_REFUSED');
    expect(again.message).toContain('hist/0004_squashed_0001_0004 already exists');
    expect(readdirSync(join(dir, 'hist')).filter((f) => f.includes('squashed'))).toEqual(['0004_squashed_0001_0004.sql']);
    expect(existsSync(join(dir, 'hist/0004_squashed_0001_0004.down.sql'))).toBe(false);
  }, 60_000);

  it('reproduces schemas, composite types, generated columns, partitions, materialized views and exclusion constraints', async () => {
    // Prepare
    const dir = context.ws.migrations({
      'wide/0001_schema.sql': 'CREATE SCHEMA wide;\nCREATE TYPE wide.pair AS (a integer, b text);\nCREATE EXTENSION IF NOT EXISTS btree_gist;',
      'wide/0002_tables.sql':
        'CREATE TABLE wide.price (id int GENERATED BY DEFAULT AS IDENTITY (START WITH 7 INCREMENT BY 3) PRIMARY KEY, net numeric(10,2) NOT NULL,' +
        ' gross numeric(10,2) GENERATED ALWAYS AS (net * 1.2) STORED, during tstzrange, pair wide.pair, CHECK (net >= 0));\n' +
        'ALTER TABLE wide.price ADD CONSTRAINT no_overlap EXCLUDE USING gist (id WITH =, during WITH &&);\n' +
        'CREATE TABLE wide.event (at date NOT NULL, kind text) PARTITION BY RANGE (at);\n' +
        "CREATE TABLE wide.event_2024 PARTITION OF wide.event FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\nCREATE TABLE wide.event_rest PARTITION OF wide.event DEFAULT;\n" +
        'CREATE INDEX event_at ON wide.event (at);\nALTER TABLE wide.event ADD PRIMARY KEY (at, kind);\n' +
        "CREATE UNIQUE INDEX price_net_idx ON wide.price (net) WHERE net > 100;\nCOMMENT ON SCHEMA wide IS 'wide things';",
      'wide/0003_views.sql': 'CREATE MATERIALIZED VIEW wide.totals AS SELECT sum(gross) AS total FROM wide.price;\nCREATE VIEW wide.big AS SELECT * FROM wide.price WHERE net > 1000 WITH CHECK OPTION;',
    });
    // Act
    const result = await squash(dir, 'wide', '0003');
    // Assess
    expect(result.proven).toBe(true);
    expect(result.objects).toBeGreaterThan(10);
  }, 60_000);

  it('accepts another app depending on the middle of the range, and refuses when that would make a cycle', async () => {
    // Prepare
    const files = {
      'org/0001_a.sql': 'CREATE TABLE sq_a (id int PRIMARY KEY);',
      'org/0002_b.sql': 'CREATE TABLE sq_b (id int);',
      'org/0003_c.sql': 'CREATE TABLE sq_c (id int);',
      'side/0001_s.sql': '-- stagegate:depends-on org/0002_b\nCREATE TABLE sq_s (a_id int REFERENCES sq_a (id));',
    };
    const dir = context.ws.migrations(files);
    // Act
    const result = await squash(dir, 'org', '0003');
    const run = await runOnFolder(dir, (await context.fresh()).url, { action: 'migrate' });
    const cyclic = context.ws.migrations({ ...files, 'org/0003_c.sql': '-- stagegate:depends-on side/0001_s\nCREATE TABLE sq_c (id int);' });
    const refused = await failure(squash(cyclic, 'org', '0003'));
    // Assess
    expect(result.squash).toBe('org/0003_squashed_0001_0003');
    expect(run.applied.map((a) => a.id)).toEqual([result.squash, 'side/0001_s']);
    expect(refused.code).toBe('SQUASH_REFUSED');
    expect(refused.message).toContain('[CYCLE]');
    expect(readdirSync(join(cyclic, 'org')).some((f) => f.includes('squashed'))).toBe(false);
  }, 60_000);

});
