import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { adminUrl } from '../support/database';
import { copyExampleApps, createWorkspace, runCli, type Workspace } from '../support/workspace';

describe('Integration: stagegate squash as a process', () => {
  let ws: Workspace;
  beforeEach(() => {
    ws = createWorkspace();
    copyExampleApps(ws.dir);
  });
  afterEach(() => ws.remove());

  it('writes the squash and says what it replaced and that it was proven; --json prints one object', async () => {
    // Act
    const human = await runCli(['squash', 'organization', '--to', '0001', '--database-url', adminUrl()], { cwd: ws.dir });
    const json = await runCli(['squash', 'membership', '--to', '0001', '--json', '--database-url', adminUrl()], { cwd: ws.dir });
    // Assess
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('Wrote migrations/organization/0001_squashed_0001_0001.sql and migrations/organization/0001_squashed_0001_0001.down.sql');
    expect(human.stdout).toMatch(/replaces 1 migration\(s\): organization\/0001_initial/);
    expect(human.stdout).toMatch(/proven equivalent: fingerprint [0-9a-f]{64}/);
    expect(human.stdout).not.toContain(new URL(adminUrl()).password || '\u0000');
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(result).toMatchObject({ ok: true, action: 'squash', squash: 'membership/0001_squashed_0001_0001', dependsOn: ['organization/0002_organization_type'], proven: true });
    expect(existsSync(join(ws.dir, 'migrations/membership/0001_squashed_0001_0001.sql'))).toBe(true);
  }, 60_000);

  it('exits 1 with SQUASH_REFUSED for a range it cannot squash, and 2 without --to', async () => {
    // Act
    const refused = await runCli(['squash', 'organization', '--to', '0003', '--database-url', adminUrl()], { cwd: ws.dir });
    const usage = await runCli(['squash', 'organization'], { cwd: ws.dir });
    // Assess
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('error SQUASH_REFUSED: Cannot squash migrations of app organization:');
    expect(refused.stderr).toContain('what to do:');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('needs --to NNNN');
  }, 60_000);

  it('exits 2 with USAGE, in one JSON object, for a --to or --from that is not a migration number', async () => {
    // Act
    const results = [
      await runCli(['squash', 'organization', '--to', 'abc', '--json', '--database-url', adminUrl()], { cwd: ws.dir }),
      await runCli(['squash', 'organization', '--from', '1', '--to', '0002', '--json', '--database-url', adminUrl()], { cwd: ws.dir }),
    ];
    // Assess
    expect(results.map((r) => r.code)).toEqual([2, 2]);
    expect(results.map((r) => r.stdout.trim().split('\n'))).toEqual([[expect.any(String)], [expect.any(String)]]);
    expect(JSON.parse(results[0]?.stdout ?? '').error).toMatchObject({ code: 'USAGE', message: expect.stringContaining('--to needs a migration number such as 0003; got "abc"') });
    expect(JSON.parse(results[1]?.stdout ?? '').error).toMatchObject({ code: 'USAGE', message: expect.stringContaining('--from needs a migration number such as 0003; got "1"') });
  }, 60_000);
});
