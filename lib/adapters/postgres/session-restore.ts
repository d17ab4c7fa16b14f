/**
 * Puts back the session settings a migration changed at session level (see
 * `core/session-settings.ts`), inside its transaction, before its ledger row:
 * so the ledger row is written as the session's own role, and the migrations
 * after it in this run see the session as a run of their own would.
 */
import type pg from 'pg';
import { changesSessionSettings } from '../../core/session-settings';
import type { Script, Timeouts } from './script';
import { timeoutsQuery } from './script';

/**
 * Every setting the session set is reset to the value RESET gives it (the
 * server's, the role's or the database's), except those stagegate keeps for
 * the session (its timeouts, restored first so that a tiny `statement_timeout`
 * cannot cancel this query, and its own settings), and the transaction's own
 * (`transaction_isolation`…), which cannot change now.
 */
const RESTORE_SETTINGS = `select pg_catalog.count(pg_catalog.set_config(s.name, s.reset_val, false)) as restored
    from pg_catalog.pg_settings s
   where s.source = 'session'
     and s.name not in ('lock_timeout', 'statement_timeout', 'client_connection_check_interval', 'session_authorization')
     and s.name not like 'stagegate.%' and s.name not like 'transaction\\_%'`;

/**
 * The queries that restore the session after `script`'s statements, or none
 * when no statement changes a session setting (the usual case: nothing is sent).
 * `session`: the timeouts the session keeps, else the server's are restored;
 * `local`: the transaction's own timeouts, set again after them.
 *
 * @example
 * for (const query of sessionRestoreQueries(script, session)) await client.query(query);
 */
export function sessionRestoreQueries(script: Pick<Script, 'statements'>, session: Timeouts | undefined, local?: Timeouts): Array<string | pg.QueryConfig> {
  if (!changesSessionSettings(script.statements)) return [];
  const timeouts = session ? [timeoutsQuery(session, false)] : ['reset statement_timeout', 'reset lock_timeout'];
  // `role` is not listed in pg_settings; RESET ROLE goes back to the session's own. The
  // transaction's own timeouts (capped to a deadline) then hold again for its ledger row and commit.
  return ['reset role', ...timeouts, RESTORE_SETTINGS, ...(local ? [timeoutsQuery(local, true)] : [])];
}
