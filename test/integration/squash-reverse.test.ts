import { fingerprint, squashFolder, useSquashWorkspace } from '../support/squash-run';
import { copyExampleApps, runOnFolder } from '../support/workspace';

describe('Integration: a squash and reverse migrations', () => {
  const context = useSquashWorkspace();

  it("goes back to nothing through the squash's reverse script, and forwards again to the same schema", async () => {
    // Prepare
    const dir = copyExampleApps(context.ws.dir);
    const result = await squashFolder(dir, 'organization', '0002', undefined, true);
    const database = await context.fresh();
    await runOnFolder(dir, database.url, { action: 'migrate' });
    const forwards = await fingerprint(database.url);
    // Act
    const back = await runOnFolder(dir, database.url, { action: 'migrate', target: 'zero' });
    const empty = await database.query("select count(*)::int as n from pg_tables where schemaname = 'public'");
    await runOnFolder(dir, database.url, { action: 'migrate' });
    // Assess
    expect(back.reverted?.map((r) => r.id)).toEqual(['organization/0003_organization_name_index', 'membership/0001_initial', result.squash]);
    expect(empty).toEqual([{ n: 0 }]);
    expect(await fingerprint(database.url)).toBe(forwards);
  }, 60_000);
});
