import { failureText, type MigrationFailure } from '../../lib/core/errors';

const base: MigrationFailure = { migration: 'app/0002_child', file: 'app/0002_child.sql', line: 1, column: 1, statement: 'INSERT INTO child VALUES (42)', sqlstate: '23503', pgMessage: 'insert or update on table "child" violates foreign key constraint "child_parent_fkey"' };

describe('Function: failureText', () => {
  it('places a failing statement at its file, line and column', () => {
    expect(failureText({ ...base, line: 3, column: 5 })).toBe(`app/0002_child.sql:3:5: ${base.pgMessage} [SQLSTATE 23503]`);
  });

  it('places a failing COMMIT (a deferred constraint) at the commit, not at line 1 of the file', () => {
    expect(failureText({ ...base, statement: 'COMMIT', column: null })).toBe(`the COMMIT of app/0002_child.sql: ${base.pgMessage} [SQLSTATE 23503]`);
  });

  it('keeps the line of a statement of the file that is itself a COMMIT', () => {
    expect(failureText({ ...base, statement: 'COMMIT', line: 4, column: 1 })).toMatch(/^app\/0002_child\.sql:4:1: /);
  });
});
