import { useTestDatabase } from '../support/database';
import { cliJson, runCli, useWorkspace } from '../support/workspace';

const ORG = { 'app/0001_org.sql': 'CREATE TABLE org (id bigserial PRIMARY KEY, name text NOT NULL);' };
const TYPE = 'CREATE TABLE org_type (id bigserial PRIMARY KEY, code bigint NOT NULL);';

describe('Integration: stagegate drift and adopt as a process', () => {
  const db = useTestDatabase();
  const ws = useWorkspace();
  const env = (): Record<string, string> => ({ DATABASE_URL: db.url, NO_COLOR: '1' });

  it('drift: exit 1 naming the object, --accept needs a reason, then records it and exits 0', async () => {
    // Prepare
    ws.migrations(ORG);
    await runCli(['migrate'], { cwd: ws.dir, env: env() });
    await db.query('ALTER TABLE org ADD COLUMN type_id integer');
    // Act
    const shown = await runCli(['drift'], { cwd: ws.dir, env: env() });
    const noReason = await runCli(['drift', '--accept'], { cwd: ws.dir, env: env() });
    const accepted = await runCli(['drift', '--accept', '--reason', 'hotfix during the incident', '--json'], { cwd: ws.dir, env: env() });
    const clean = await runCli(['drift'], { cwd: ws.dir, env: env() });
    // Assess
    expect(shown.code).toBe(1);
    expect(shown.stderr).toContain('error DRIFT_DETECTED');
    expect(shown.stderr).toContain('column public.org.type_id added outside migrations (integer)');
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('--reason');
    expect(accepted.code).toBe(0);
    expect(cliJson(accepted.stdout)).toMatchObject({ ok: true, action: 'drift', reason: 'hotfix during the incident', accepted: [{ name: 'public.org.type_id', change: 'added' }] });
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('No drift');
  });

  it('adopt: migrate stops on a table made by hand, adopt proves and records it, migrate goes on', async () => {
    // Prepare
    ws.migrations(ORG);
    await runCli(['migrate'], { cwd: ws.dir, env: env() });
    await db.query(TYPE);
    ws.migrations({ ...ORG, 'app/0002_org_type.sql': TYPE, 'app/0003_slug.sql': 'ALTER TABLE org ADD COLUMN slug text;' });
    // Act
    const stopped = await runCli(['migrate'], { cwd: ws.dir, env: env() });
    const plan = await runCli(['plan'], { cwd: ws.dir, env: env() });
    const forceless = await runCli(['adopt', 'app/0002_org_type', '--force'], { cwd: ws.dir, env: env() });
    const adopted = await runCli(['adopt', 'app/0002_org_type'], { cwd: ws.dir, env: env() });
    const rest = await runCli(['migrate', '--json'], { cwd: ws.dir, env: env() });
    // Assess
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain('table public.org_type added outside migrations');
    expect(plan.stdout).toContain('Drift: ');
    expect(forceless.code).toBe(2);
    expect(adopted.code).toBe(0);
    expect(adopted.stdout).toMatch(/Adopted app\/0002_org_type: its \d+ object\(s\) on the database are exactly what it makes/);
    expect(cliJson(rest.stdout)).toMatchObject({ ok: true, status: 'applied', applied: [{ id: 'app/0003_slug' }] });
  });

  it('migrate --drift warn runs despite drift and reports it', async () => {
    // Prepare
    ws.migrations(ORG);
    await runCli(['migrate'], { cwd: ws.dir, env: env() });
    await db.query('ALTER TABLE org ADD COLUMN by_hand integer');
    ws.migrations({ ...ORG, 'app/0002_slug.sql': 'ALTER TABLE org ADD COLUMN slug text;' });
    // Act
    const run = await runCli(['migrate', '--drift', 'warn', '--json'], { cwd: ws.dir, env: env() });
    const bad = await runCli(['migrate', '--drift', 'ignore'], { cwd: ws.dir, env: env() });
    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('column public.org.by_hand added outside migrations');
    expect(cliJson(run.stdout)).toMatchObject({ status: 'applied', drift: { baseline: true, differences: [{ name: 'public.org.by_hand' }] } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('CONFIG_INVALID');
  });

  it('a stage that skipped a release, with a table made by hand for a later migration: the remedies, followed literally, get it out', async () => {
    // Prepare: 0001 applied (so there is a baseline), 0002 skipped, and 0003's table made by hand as 0003 makes it
    ws.migrations(ORG);
    await runCli(['migrate'], { cwd: ws.dir, env: env() });
    ws.migrations({ ...ORG, 'app/0002_slug.sql': 'ALTER TABLE org ADD COLUMN slug text;', 'app/0003_org_type.sql': TYPE });
    await db.query(TYPE);
    const stopped = await runCli(['migrate', '--json'], { cwd: ws.dir, env: env() });
    // Act: adopt, as the drift remedy says; then the first command adopt's refusal names; then adopt and migrate
    const refused = await runCli(['adopt', 'app/0003_org_type', '--json'], { cwd: ws.dir, env: env() });
    const remedy = String(cliJson(refused.stdout).error?.remedy);
    const named = /`stagegate ([^`]+)`/.exec(remedy)?.[1]?.split(/\s+/) ?? [];
    const dependencies = await runCli([...named, '--json'], { cwd: ws.dir, env: env() });
    const adopted = await runCli(['adopt', 'app/0003_org_type', '--json'], { cwd: ws.dir, env: env() });
    const last = await runCli(['migrate', '--json'], { cwd: ws.dir, env: env() });
    const drift = await runCli(['drift', '--json'], { cwd: ws.dir, env: env() });
    // Assess
    expect(cliJson(stopped.stdout).error).toMatchObject({ code: 'DRIFT_DETECTED', makers: ['app/0003_org_type'] });
    expect(cliJson(stopped.stdout).error.remedy).toContain('pending migration app/0003_org_type makes some of them: `stagegate adopt app/0003_org_type` records it as applied once the objects are proven');
    expect(cliJson(refused.stdout).error).toMatchObject({ code: 'ADOPT_REFUSED', missing: ['app/0002_slug'] });
    expect(named).toEqual(['migrate', '--to', 'app/0002_slug', '--drift', 'warn']);
    expect(cliJson(dependencies.stdout)).toMatchObject({ ok: true, applied: [{ id: 'app/0002_slug' }], drift: { differences: expect.arrayContaining([expect.objectContaining({ name: 'public.org_type' })]) } });
    expect(cliJson(adopted.stdout)).toMatchObject({ ok: true, id: 'app/0003_org_type', verified: true, baselineUpdated: true });
    expect(cliJson(last.stdout)).toMatchObject({ ok: true, status: 'up-to-date' });
    expect(drift.code).toBe(0);
  });
});
