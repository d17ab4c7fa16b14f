import { useTestDatabase } from '../support/database';
import { cliEnv, cliJson, runCli, useWorkspace } from '../support/workspace';

describe('Integration: stagegate plan --rehearse as a process', () => {
  const db = useTestDatabase('file');
  const ws = useWorkspace();

  const env = () => cliEnv(db.url);

  it('prints a line per migration and exits 0 when every migration rehearses', async () => {
    // Prepare
    ws.migrations({
      'shop/0001_orders.sql': 'CREATE TABLE rcli_orders (id int);',
      'shop/0002_index.sql': '-- stagegate:no-transaction\nCREATE INDEX CONCURRENTLY rcli_orders_id ON rcli_orders (id);',
    });
    // Act
    const run = await runCli(['plan', '--rehearse', '--lock-timeout', '1s'], { cwd: ws.dir, env: env() });
    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/✓ rehearsed shop\/0001_orders \(\d+ ms\)/);
    expect(run.stdout).toContain('– shop/0002_index not rehearsable (no-transaction: it runs outside a transaction, so it cannot be rolled back)');
    expect(run.stdout).toContain('Nothing was kept: the rehearsal rolled back.');
    expect(await db.query("select to_regclass('rcli_orders')::text as t")).toEqual([{ t: null }]);
  });

  it('exits 1 with REHEARSAL_FAILED, the explained report on stderr, and one JSON object with --json', async () => {
    // Prepare
    await db.query('CREATE TABLE rcli_items (id int, sku text)');
    ws.migrations({ 'shop/0001_items.sql': '-- the items\nCREATE TABLE rcli_items (id int);' });
    const e = env();
    // Act
    const human = await runCli(['plan', '--rehearse'], { cwd: ws.dir, env: e });
    const machine = await runCli(['plan', '--rehearse', '--json'], { cwd: ws.dir, env: e });
    // Assess
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('error REHEARSAL_FAILED: The rehearsal of bundle');
    expect(human.stderr).toContain('✗ shop/0001_items failed at shop/0001_items.sql:2:1 — 42P07 relation "rcli_items" already exists');
    expect(human.stderr).toContain('The live database has table public.rcli_items with columns (id integer, sku text).');
    expect(human.stderr).toContain('stagegate adopt shop/0001_items');
    expect(machine.code).toBe(1);
    expect(machine.stdout.trim().split('\n')).toHaveLength(1);
    const failure = cliJson(machine.stdout);
    expect(failure).toMatchObject({ ok: false, action: 'plan', error: { code: 'REHEARSAL_FAILED', pending: ['shop/0001_items'] } });
    expect(failure.error.rehearsal).toEqual([
      expect.objectContaining({ id: 'shop/0001_items', status: 'failed', failure: expect.objectContaining({ sqlstate: '42P07', line: 2, explanation: expect.objectContaining({ object: 'table public.rcli_items' }) }) }),
    ]);
    expect(await db.query('select count(*)::int as n from information_schema.schemata where schema_name = $1', [e.STAGEGATE_SCHEMA])).toEqual([{ n: 0 }]);
  });

  it('refuses --lock-timeout on a plan that does not rehearse (exit 2)', async () => {
    // Prepare
    ws.migrations({ 'shop/0001_orders.sql': 'select 1;' });
    // Act
    const run = await runCli(['plan', '--lock-timeout', '1s'], { cwd: ws.dir, env: env() });
    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--lock-timeout goes with --rehearse');
  });
});
