import { explainFailure, explained, type ExplainInput } from '../../lib/core/explain';
import { MigrationFailedError } from '../../lib/core/errors';
import { parseQualifiedName, statementTable, subjectOf, type LiveRelation } from '../../lib/core/failure-subject';
import { notRehearsableBecause } from '../../lib/core/rehearsal';
import { splitStatements } from '../../lib/core/sql-split';

const ORG: LiveRelation = {
  schema: 'public',
  name: 'org',
  kind: 'table',
  columns: [
    { name: 'id', type: 'bigint', nullable: false, default: null },
    { name: 'email', type: 'text', nullable: true, default: "''::text" },
  ],
};

const input = (over: Partial<ExplainInput> & Pick<ExplainInput, 'sqlstate' | 'pgMessage' | 'statement'>): ExplainInput => ({
  migration: 'org/0002_x',
  file: 'org/0002_x.sql',
  line: 4,
  ...over,
});

describe('Function: subjectOf', () => {
  it('reads the relation of 42P07 from the message and its schema from the statement', () => {
    // Act
    const subject = subjectOf({ sqlstate: '42P07', pgMessage: 'relation "org" already exists', statement: 'CREATE TABLE app.org (id int)' });
    // Assess
    expect(subject?.relation).toEqual({ schema: 'app', name: 'org' });
  });

  it('finds the referenced table of a foreign key whose column is missing, and the local table otherwise', () => {
    // Act
    const remote = subjectOf({ sqlstate: '42703', pgMessage: 'column "org_id" referenced in foreign key constraint does not exist', statement: 'CREATE TABLE m (a int REFERENCES "Org" (org_id))' });
    const local = subjectOf({ sqlstate: '42703', pgMessage: 'column "nope" referenced in foreign key constraint does not exist', statement: 'ALTER TABLE ONLY m ADD FOREIGN KEY (nope) REFERENCES org (id)' });
    // Assess
    expect(remote?.referenced).toEqual({ schema: null, name: 'Org', columns: ['org_id'] });
    expect(local).toMatchObject({ referenced: null, relation: { schema: null, name: 'm' }, column: 'nope' });
  });

  it('keeps only the column names of a unique violation, never its values', () => {
    // Act
    const subject = subjectOf({ sqlstate: '23505', pgMessage: 'could not create unique index "u"', detail: 'Key (email, "Tenant")=(a@b.c, 7) is duplicated.', statement: 'CREATE UNIQUE INDEX u ON org (email, "Tenant")', pgObject: { schema: 'public', table: 'org' } });
    const expression = subjectOf({ sqlstate: '23505', pgMessage: 'could not create unique index "u"', detail: 'Key (lower(email))=(a) is duplicated.', statement: 'CREATE UNIQUE INDEX u ON org (lower(email))' });
    // Assess
    expect(subject).toMatchObject({ relation: { schema: 'public', name: 'org' }, keyColumns: ['email', 'Tenant'] });
    expect(JSON.stringify(subject)).not.toContain('a@b.c');
    expect(expression?.keyColumns).toBeNull();
  });

  it('has no subject for SQLSTATEs it does not explain', () => {
    // Act / Assess
    expect(subjectOf({ sqlstate: '22012', pgMessage: 'division by zero', statement: 'select 1/0' })).toBeNull();
    expect(subjectOf({ sqlstate: null, pgMessage: 'connection lost', statement: 'COMMIT' })).toBeNull();
  });
});

describe('Functions: parseQualifiedName, statementTable', () => {
  it('folds unquoted names and keeps quoted ones', () => {
    // Act / Assess
    expect(parseQualifiedName('App."My ""T"""')).toEqual({ schema: 'app', name: 'My "T"' });
    expect(statementTable('create unique index concurrently if not exists i on only s.t (a)')).toEqual({ schema: 's', name: 't' });
    expect(statementTable('LOCK TABLE org IN ACCESS EXCLUSIVE MODE')).toEqual({ schema: null, name: 'org' });
    expect(statementTable('select 1')).toBeNull();
  });
});

describe('Function: explainFailure', () => {
  it('42P07: a hand-made table, with its columns, and adopt as the first way out', () => {
    // Act
    const explanation = explainFailure(input({ sqlstate: '42P07', pgMessage: 'relation "org" already exists', statement: 'CREATE TABLE org (id bigint)', facts: { relation: ORG } }), {
      migrations: [{ id: 'org/0002_x', sql: 'CREATE TABLE org (id bigint)' }, { id: 'org/0001_a', sql: 'select 1' }],
      applied: new Set(['org/0001_a']),
    });
    // Assess
    expect(explanation).toEqual({
      summary: 'org/0002_x.sql:4 creates table "org", but the database already has one.',
      object: 'table public.org',
      liveState: "The live database has table public.org with columns (id bigint not null, email text default ''::text). No other migration of this bundle creates it: it was most likely made by hand.",
      wayOut: expect.stringContaining('`stagegate adopt org/0002_x`'),
    });
    expect(explanation?.wayOut).toContain('drop the hand-made table public.org');
  });

  it('42P07: when an applied migration creates the same table, the way out is to fix the migration', () => {
    // Act
    const explanation = explainFailure(input({ sqlstate: '42P07', pgMessage: 'relation "org" already exists', statement: 'CREATE TABLE org (id bigint)', facts: { relation: ORG } }), {
      migrations: [{ id: 'org/0001_initial', sql: 'create table if not exists public."org" (id int);' }],
      applied: new Set(['org/0001_initial']),
    });
    // Assess
    expect(explanation?.liveState).toContain('Applied migration org/0001_initial creates it too.');
    expect(explanation?.wayOut).toMatch(/^Fix the migration: org\/0001_initial already created table org/);
  });

  it('42701: describes the live column', () => {
    // Act
    const explanation = explainFailure(input({ sqlstate: '42701', pgMessage: 'column "email" of relation "org" already exists', statement: 'ALTER TABLE org ADD COLUMN email text', facts: { relation: ORG, column: ORG.columns[1] } }));
    // Assess
    expect(explanation?.object).toBe('column org.email');
    expect(explanation?.liveState).toBe("The live column is public.org.email text default ''::text.");
  });

  it('42703 and 42P01 in a foreign key: name the target and list what exists', () => {
    // Act
    const column = explainFailure(input({ sqlstate: '42703', pgMessage: 'column "org_id" referenced in foreign key constraint does not exist', statement: 'CREATE TABLE m (o bigint REFERENCES org (org_id))', facts: { referenced: ORG } }));
    const table = explainFailure(input({ sqlstate: '42P01', pgMessage: 'relation "orgs" does not exist', statement: 'CREATE TABLE m (o bigint REFERENCES orgs (id))', facts: { relation: null, referenced: null } }));
    // Assess
    expect(column?.liveState).toBe('Table public.org has the columns (id, email).');
    expect(column?.wayOut).toContain('stagegate:depends-on');
    expect(table?.summary).toBe('org/0002_x.sql:4 declares a foreign key to orgs, which does not exist.');
    expect(table?.liveState).toBe('Table orgs does not exist.');
  });

  it('42703 in a foreign key and outside one: names the pending migration that adds the column but runs later', () => {
    // Prepare: org/0003 adds org_id to org; org/0002_x uses it, without a dependency
    const knowledge = { migrations: [{ id: 'org/0003_org_id', sql: 'ALTER TABLE org ADD COLUMN org_id bigint UNIQUE;' }], applied: new Set<string>() };
    // Act
    const reference = explainFailure(input({ sqlstate: '42703', pgMessage: 'column "org_id" referenced in foreign key constraint does not exist', statement: 'CREATE TABLE m (o bigint REFERENCES org (org_id))', facts: { referenced: ORG } }), knowledge);
    const use = explainFailure(input({ sqlstate: '42703', pgMessage: 'column "org_id" does not exist', statement: 'CREATE INDEX ON org (org_id)', facts: { relation: ORG } }), knowledge);
    // Assess
    expect(reference?.liveState).toBe('Table public.org has the columns (id, email). Pending migration org/0003_org_id adds it, but does not run before org/0002_x.');
    expect(reference?.wayOut).toBe('Declare the dependency: add `-- stagegate:depends-on org/0003_org_id` to the top of org/0002_x.sql, so that org/0003_org_id runs first.');
    expect(use?.liveState).toContain('Pending migration org/0003_org_id adds it, but does not run before org/0002_x.');
  });

  it('42P01: a table an applied migration created is gone, which is the stage to fix', () => {
    // Act
    const explanation = explainFailure(input({ sqlstate: '42P01', pgMessage: 'relation "org" does not exist', statement: 'ALTER TABLE org ADD COLUMN x int', facts: { relation: null, elsewhere: [] } }), {
      migrations: [{ id: 'org/0001_initial', sql: 'CREATE TABLE org (id int);' }],
      applied: new Set(['org/0001_initial']),
    });
    // Assess
    expect(explanation?.liveState).toBe('No relation of that name exists in any schema of the database. Applied migration org/0001_initial creates it: it was dropped or renamed since, by hand or by another migration.');
    expect(explanation?.wayOut).toMatch(/^Fix the stage if it should still be there \(org\/0001_initial is recorded as applied/);
  });

  it('42P01 outside a foreign key: says which schemas hold that name', () => {
    // Act
    const explanation = explainFailure(input({ sqlstate: '42P01', pgMessage: 'relation "org" does not exist', statement: 'ALTER TABLE org ADD COLUMN x int', facts: { relation: null, elsewhere: ['legacy'] } }));
    // Assess
    expect(explanation?.liveState).toBe('It is not on the search path; a relation of that name exists in schema legacy.');
  });

  it('42710: a duplicate constraint with its live definition', () => {
    // Act
    const explanation = explainFailure(input({ sqlstate: '42710', pgMessage: 'constraint "ck" for relation "org" already exists', statement: 'ALTER TABLE org ADD CONSTRAINT ck CHECK (id > 0)', facts: { existing: { kind: 'constraint', name: 'ck', definition: 'CHECK ((id > 0))' } } }));
    // Assess
    expect(explanation).toMatchObject({ object: 'constraint ck on org', liveState: 'The live database has constraint ck on org: CHECK ((id > 0)).' });
    expect(explanation?.wayOut).toContain('stagegate adopt org/0002_x');
  });

  it('23502 and 23505: counts, not values', () => {
    // Act
    const notNull = explainFailure(input({ sqlstate: '23502', pgMessage: 'column "kind" of relation "org" contains null values', statement: 'ALTER TABLE org ADD COLUMN kind text NOT NULL', pgObject: { schema: 'public', table: 'org', column: 'kind' }, facts: { relation: ORG, rowCount: 1 } }));
    const unique = explainFailure(input({ sqlstate: '23505', pgMessage: 'could not create unique index "org_email"', detail: 'Key (email)=(secret@example.com) is duplicated.', statement: 'CREATE UNIQUE INDEX org_email ON org (email)', pgObject: { schema: 'public', table: 'org', constraint: 'org_email' }, facts: { duplicateGroups: 4 } }));
    // Assess
    expect(notNull?.liveState).toBe('The live table holds 1 row.');
    expect(notNull?.summary).toContain('without a DEFAULT');
    expect(unique?.liveState).toBe('4 groups of rows share a value of (email) (values are not shown).');
    expect(JSON.stringify(unique)).not.toContain('secret@example.com');
  });

  it('55P03: names the sessions that hold the lock', () => {
    // Act
    const explanation = explainFailure(input({ sqlstate: '55P03', pgMessage: 'canceling statement due to lock timeout', statement: 'ALTER TABLE org ADD COLUMN x int', facts: { holders: [{ pid: 42, application: 'api', state: 'idle in transaction', transactionSeconds: 90 }] } }));
    // Assess
    expect(explanation?.liveState).toBe('Held by pid 42 (api, idle in transaction, transaction open for 90 s).');
  });

  it('says nothing it does not know: no explanation for other SQLSTATEs, no facts means "could not be inspected"', () => {
    // Act
    const none = explainFailure(input({ sqlstate: '22012', pgMessage: 'division by zero', statement: 'select 1/0' }));
    const blind = explainFailure(input({ sqlstate: '42P07', pgMessage: 'relation "org" already exists', statement: 'CREATE TABLE org (id int)' }));
    // Assess
    expect(none).toBeNull();
    expect(blind?.liveState).toBe('It could not be inspected after the failure.');
  });
});

describe('Function: explained and MigrationFailedError', () => {
  it('puts the explanation into the message, the remedy and the details', () => {
    // Prepare
    const failure = { migration: 'org/0002_x', file: 'org/0002_x.sql', line: 4, column: 1, statement: 'CREATE TABLE org (id int)', sqlstate: '42P07', pgMessage: 'relation "org" already exists', facts: { relation: ORG } };
    // Act
    const error = new MigrationFailedError(failure, false).with(explained(failure));
    // Assess
    expect(error.message).toBe(
      'Migration org/0002_x failed at org/0002_x.sql:4:1: relation "org" already exists [SQLSTATE 42P07]\norg/0002_x.sql:4 creates table "org", but the database already has one. ' +
        "The live database has table public.org with columns (id bigint not null, email text default ''::text).",
    );
    expect(error.remedy).toMatch(/^The migration was rolled back and left no trace; migrations before it stay applied\. Adopt it/);
    expect(error.toJSON()).toMatchObject({ code: 'MIGRATION_FAILED', explanation: { object: 'table public.org' }, facts: { relation: { name: 'org' } } });
  });
});

describe('Function: notRehearsableBecause', () => {
  it('refuses a migration that controls the transaction itself, naming the line', () => {
    // Act / Assess
    expect(notRehearsableBecause(splitStatements('create table a (id int);\ncommit;\n'), 'x/0001_a.sql')).toBe('x/0001_a.sql:2 controls the transaction itself (COMMIT); run inside a rehearsal it would end it');
    expect(notRehearsableBecause(splitStatements('create table a (id int);\n-- done\n/* really */ Start Transaction;\n'), 'x/0001_a.sql')).toContain('(START TRANSACTION)');
    expect(notRehearsableBecause(splitStatements("create function f() returns int begin atomic select 1; end;\nselect 'commit';"), 'x/0001_a.sql')).toBeNull();
  });
});
