import { changesSessionSettings } from '../../lib/core/session-settings';
import { splitStatements } from '../../lib/core/sql-split';

describe('changesSessionSettings', () => {
  it.each([
    'set search_path = app',
    'SET SESSION statement_timeout = 0',
    '-- role\nset role app_owner',
    'reset all',
    "select pg_catalog.set_config('search_path', '', false)",
    "do $$ begin perform set_config('app.tenant', 'x', false); end $$",
  ])('is true for %j', (sql) => {
    expect(changesSessionSettings(splitStatements(`create table t (id int);\n${sql};\n`))).toBe(true);
  });

  it.each(['set local search_path = app', 'set transaction isolation level serializable', 'set constraints all deferred', "select 'set x' as settings", 'alter table t set (fillfactor = 70)'])(
    'is false for %j',
    (sql) => {
      expect(changesSessionSettings(splitStatements(`${sql};`))).toBe(false);
    },
  );
});
