import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTestDatabase } from '../support/database';
import { cliEnv, cliJson, runCli, useWorkspace } from '../support/workspace';

describe('Integration: the stagegate CLI as a process', () => {
  const db = useTestDatabase('file');
  const ws = useWorkspace();

  const env = () => cliEnv(db.url);

  it('plans, migrates with a line per migration, then reports up to date', async () => {
    // Prepare
    ws.migrations({ 'shop/0001_orders.sql': 'CREATE TABLE cli_orders (id int);', 'shop/0002_items.sql': 'CREATE TABLE cli_items (id int);' });
    const e = env();
    // Act
    const plan = await runCli(['plan'], { cwd: ws.dir, env: e });
    const migrate = await runCli(['migrate'], { cwd: ws.dir, env: e });
    const again = await runCli(['migrate', '--json'], { cwd: ws.dir, env: e });
    // Assess
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/Plan: 2 migrations to apply, in this order:\n {2}1\. shop\/0001_orders\n {2}2\. shop\/0002_items/);
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toMatch(/✓ shop\/0001_orders {2}\d+ ms/);
    expect(migrate.stdout).toMatch(/Applied 2 migrations in \d+ ms/);
    expect(migrate.stdout).not.toContain('\u001b[');
    expect(again.code).toBe(0);
    expect(cliJson(again.stdout)).toMatchObject({ ok: true, action: 'migrate', status: 'up-to-date', applied: [], pending: [] });
    expect(again.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('goes back with --to: shows the reverse plan, prints it before running, and refuses an irreversible one with exit 1', async () => {
    // Prepare: two apps; member/0001 depends on shop/0002
    ws.migrations({
      'shop/0001_orders.sql': 'CREATE TABLE cli_rev_orders (id int);',
      'shop/0001_orders.down.sql': 'DROP TABLE cli_rev_orders;',
      'shop/0002_items.sql': 'CREATE TABLE cli_rev_items (id int);',
      'shop/0002_items.down.sql': 'DROP TABLE cli_rev_items;',
      'member/0001_init.sql': '-- stagegate:depends-on shop/0002_items\nCREATE TABLE cli_rev_member (id int);',
      'member/0001_init.down.sql': 'DROP TABLE cli_rev_member;',
    });
    const e = env();
    await runCli(['migrate'], { cwd: ws.dir, env: e });
    // Act
    const plan = await runCli(['plan', '--to', 'shop/0001_orders'], { cwd: ws.dir, env: e });
    const planJson = await runCli(['plan', '--to', 'shop/0001_orders', '--json'], { cwd: ws.dir, env: e });
    const back = await runCli(['migrate', '--to', 'shop/0001_orders'], { cwd: ws.dir, env: e });
    const forward = await runCli(['migrate', '--to', 'member/0001_init', '--json'], { cwd: ws.dir, env: e });
    const usage = await runCli(['migrate', '--to', 'shop/1'], { cwd: ws.dir, env: e });
    ws.migrations({ 'shop/0001_orders.sql': 'CREATE TABLE cli_rev_orders (id int);', 'shop/0002_items.sql': 'CREATE TABLE cli_rev_items (id int);', 'member/0001_init.sql': '-- stagegate:depends-on shop/0002_items\nCREATE TABLE cli_rev_member (id int);' });
    const refused = await runCli(['migrate', '--to', 'shop/zero', '--json'], { cwd: ws.dir, env: e });
    // Assess
    expect(plan.code).toBe(0);
    // Each reverse step says what it destroys before it runs
    expect(plan.stdout).toMatch(
      /Plan to shop\/0001_orders: 2 to revert, in this order:\n {2}1\. ↩ revert member\/0001_init {2}\(member\/0001_init\.down\.sql\)\n {5}loses table cli_rev_member: their data is gone once it commits\n {2}2\. ↩ revert shop\/0002_items/,
    );
    expect(cliJson(planJson.stdout).plan.map((step: { losses: string[] }) => step.losses)).toEqual([['table cli_rev_member'], ['table cli_rev_items']]);
    expect(back.code).toBe(0);
    expect(back.stdout.indexOf('Plan to shop/0001_orders')).toBeLessThan(back.stdout.indexOf('↩ member/0001_init'));
    expect(back.stdout).toMatch(/↩ shop\/0002_items {2}reverted, \d+ ms/);
    expect(back.stdout).toMatch(/At shop\/0001_orders: reverted 2 migrations in \d+ ms/);
    expect(cliJson(forward.stdout)).toMatchObject({ ok: true, status: 'applied', to: 'member/0001_init', reverted: [], applied: [{ id: 'shop/0002_items' }, { id: 'member/0001_init' }] });
    expect(usage.code).toBe(2);
    expect(refused.code).toBe(1);
    expect(cliJson(refused.stdout)).toMatchObject({ ok: false, error: { code: 'IRREVERSIBLE', migrations: [{ id: 'member/0001_init' }, { id: 'shop/0001_orders' }, { id: 'shop/0002_items' }] } });
    expect(refused.stderr).toContain('shop/0001_orders.down.sql');
  });

  it('reports a conflict and a cycle with exit 1, naming the files', async () => {
    // Prepare
    ws.migrations({
      'a/0001_x.sql': '',
      'a/0002_left.sql': '',
      'a/0002_right.sql': '',
      'b/0001_p.sql': '-- stagegate:depends-on c/0001_q\n',
      'c/0001_q.sql': '-- stagegate:depends-on b/0001_p\n',
    });
    // Act
    const human = await runCli(['bundle'], { cwd: ws.dir });
    const machine = await runCli(['plan', '--json'], { cwd: ws.dir, env: env() });
    // Assess
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('error MIGRATIONS_INVALID');
    expect(human.stderr).toContain('a/0002_left.sql and a/0002_right.sql');
    expect(human.stderr).toMatch(/dependency cycle: (b\/0001_p -> c\/0001_q -> b\/0001_p|c\/0001_q -> b\/0001_p -> c\/0001_q)/);
    expect(machine.code).toBe(1);
    const out = cliJson(machine.stdout);
    expect(out.ok).toBe(false);
    expect(out.error.code).toBe('MIGRATIONS_INVALID');
    expect(out.error.problems.map((p: { code: string }) => p.code).sort()).toEqual(['CONFLICT', 'CYCLE']);
  });

  it('plan says which migration was merged late: pending while one that depends on it is applied here', async () => {
    // Prepare: late/0004 and late/0006 applied; then a branch's late/0005 was merged
    const applied = { 'late/0004_a.sql': 'CREATE TABLE cli_late (id int);', 'late/0006_c.sql': 'ALTER TABLE cli_late ADD COLUMN c int;' };
    ws.migrations(applied);
    const e = env();
    expect((await runCli(['migrate'], { cwd: ws.dir, env: e })).code).toBe(0);
    ws.migrations({ ...applied, 'late/0005_b.sql': 'ALTER TABLE cli_late ADD COLUMN b int;', 'late/0007_d.sql': 'ALTER TABLE cli_late ADD COLUMN d int;' });
    // Act
    const human = await runCli(['plan'], { cwd: ws.dir, env: e });
    const machine = await runCli(['plan', '--json'], { cwd: ws.dir, env: e });
    // Assess
    expect(human.stdout).toContain('  1. late/0005_b  (merged late: late/0006_c, which depends on it, is already applied here; a fresh database runs it first)');
    expect(human.stdout).toMatch(/ {2}2\. late\/0007_d\n/);
    const plan = cliJson(machine.stdout).plan as { id: string; appliedDependents?: string[] }[];
    expect(plan.map((p) => [p.id, p.appliedDependents])).toEqual([
      ['late/0005_b', ['late/0006_c']],
      ['late/0007_d', undefined],
    ]);
  });

  it('exits 2 on bad usage', async () => {
    // Act
    const unknownCommand = await runCli(['migrat'], { cwd: ws.dir });
    const unknownOption = await runCli(['migrate', '--databse-url', 'x'], { cwd: ws.dir });
    const both = await runCli(['plan', '--dir', 'a', '--bundle', 'b'], { cwd: ws.dir });
    // Assess
    expect([unknownCommand.code, unknownOption.code, both.code]).toEqual([2, 2, 2]);
    expect(unknownCommand.stderr).toContain('Unknown command "migrat"');
    expect(unknownOption.stderr).toContain('stagegate migrate does not take --databse-url.');
  });

  it('builds the same bundle twice, migrates from it, and refuses a tampered one', async () => {
    // Prepare
    ws.migrations({ 'a/0001_x.sql': 'CREATE TABLE bundled (id int);' });
    const e = env();
    // Act
    const first = cliJson((await runCli(['bundle', '--json'], { cwd: ws.dir })).stdout);
    const second = cliJson((await runCli(['bundle', '--json'], { cwd: ws.dir })).stdout);
    const migrate = await runCli(['migrate', '--bundle', first.file, '--json'], { cwd: ws.dir, env: e });
    const bytes = readFileSync(first.file);
    bytes[bytes.length - 5] ^= 0xff;
    writeFileSync(first.file, bytes);
    const tampered = await runCli(['migrate', '--bundle', first.file, '--json'], { cwd: ws.dir, env: e });
    const renamed = join(ws.dir, 'copy.json.gz');
    writeFileSync(renamed, bytes);
    const corrupt = await runCli(['migrate', '--bundle', renamed, '--json'], { cwd: ws.dir, env: e });
    // Assess
    expect(second.bundleId).toBe(first.bundleId);
    expect(first.file).toBe(join(ws.dir, '.stagegate', 'bundles', `${first.bundleId}.json.gz`));
    expect(cliJson(migrate.stdout)).toMatchObject({ ok: true, bundleId: first.bundleId, status: 'applied' });
    expect([tampered.code, cliJson(tampered.stdout).error.code]).toEqual([1, 'BUNDLE_INTEGRITY']);
    expect([corrupt.code, cliJson(corrupt.stdout).error.code]).toEqual([1, 'BUNDLE_INVALID']);
  });

  it('never prints the password, and says the credentials were refused', async () => {
    // Prepare
    const password = 'Sup3r$ecret!pw';
    const url = new URL(db.url);
    url.password = password;
    ws.migrations({ 'a/0001_x.sql': 'SELECT 1;' });
    // Act
    const result = await runCli(['migrate', '--json', '--verbose'], { cwd: ws.dir, env: { DATABASE_URL: url.toString() } });
    // Assess
    expect(result.code).toBe(1);
    expect(cliJson(result.stdout).error.code).toBe('DATABASE_AUTH_FAILED');
    expect(result.stdout + result.stderr).not.toContain(password);
    expect(result.stdout + result.stderr).not.toContain(encodeURIComponent(password));
  });

  it('applies each migration exactly once when several processes migrate at the same time', async () => {
    // Prepare
    const files: Record<string, string> = {};
    for (let i = 1; i <= 5; i += 1) files[`race/000${i}_step.sql`] = `SELECT pg_sleep(0.1);\nCREATE TABLE race_${i} (id int);`;
    ws.migrations(files);
    const e = { ...env(), STAGEGATE_LOCK_WAIT_MS: '30s' };
    // Act
    const results = await Promise.all(Array.from({ length: 6 }, () => runCli(['migrate', '--json'], { cwd: ws.dir, env: e })));
    // Assess
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
    const applied = results.flatMap((r) => cliJson(r.stdout).applied.map((a: { id: string }) => a.id)).sort();
    expect(applied).toEqual(Object.keys(files).map((f) => f.replace('.sql', '')).sort());
    const rows = await db.query<{ n: string }>(`select count(*)::text as n from "${e.STAGEGATE_SCHEMA}".migrations`);
    expect(rows[0]?.n).toBe('5');
  });
});
