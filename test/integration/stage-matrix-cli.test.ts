import { PutObjectCommand } from '@aws-sdk/client-s3';
import { copyFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeStageRecord } from '../../lib/adapters/s3/stage-records';
import { buildCatalog } from '../../lib/core/catalog';
import type { Migration } from '../../lib/core/migration';
import { buildStageRecord } from '../../lib/core/stage-record';
import { S3_CREDENTIALS, useS3 } from '../support/s3';
import { cliJson, createWorkspace, runCli, type Workspace } from '../support/workspace';

// The bucket serverless.yml's params name for every stage.
const BUCKET = 'example-stagegate-123456789012';
const FILES = {
  'app/0001_init.sql': 'CREATE TABLE matrix_widget (id int);',
  'app/0002_colour.sql': 'ALTER TABLE matrix_widget ADD COLUMN colour text;',
};

describe('Integration: stagegate status --all-stages through the built CLI (s3rver)', () => {
  let ws: Workspace;
  let catalog: Migration[];
  const s3 = useS3(BUCKET);
  beforeEach(() => {
    ws = createWorkspace();
    ws.migrations(FILES);
    // The stage order (dev, staging, production) and the bucket come from the service's own file.
    copyFileSync(resolve(__dirname, '../../serverless.yml'), join(ws.dir, 'serverless.yml'));
    catalog = buildCatalog(Object.entries(FILES).map(([path, content]) => ({ path, content })));
  });
  afterEach(() => ws.remove());

  const env = (prefix: string): Record<string, string | undefined> => ({
    STAGEGATE_S3_ENDPOINT: s3.endpoint,
    STAGEGATE_PREFIX: prefix,
    STAGEGATE_BUCKET: undefined,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
  });
  /** dev has everything; staging applied an edited 0001 and a migration this bundle lacks; production never ran. */
  const recordStages = async (prefix: string, extraId: string): Promise<void> => {
    const row = (id: string, checksum: string) => ({ id, checksum, state: 'applied' as const, appliedAt: '2026-11-30T09:00:00.000Z', durationMs: 1, bundleId: 'x', appliedBy: 't', method: 'executed' as const });
    const [init, colour] = catalog as [Migration, Migration];
    const record = (stage: string, ledger: ReturnType<typeof row>[], schemaHash: string) =>
      buildStageRecord({ stage, bundleId: 'b'.repeat(64), recordedAt: '2026-11-30T10:00:00.000Z', ledger, schemaHash, overrides: [] });
    await writeStageRecord(s3.client, BUCKET, prefix, record('dev', [row(init.id, init.checksum), row(colour.id, colour.checksum)], 'a'.repeat(64)));
    await writeStageRecord(s3.client, BUCKET, prefix, record('staging', [row(init.id, 'v1:edited'), row(extraId, 'v1:x')], 'c'.repeat(64)));
  };

  it('prints one JSON object: every migration against every stage, and which fingerprints differ', async () => {
    // Prepare
    await recordStages('json', 'app/0009_dropped');
    // Act
    const result = await runCli(['status', '--all-stages', '--json'], { cwd: ws.dir, env: env('json') });
    // Assess
    expect(result.code).toBe(0);
    const out = cliJson(result.stdout);
    expect(out).toMatchObject({ ok: true, action: 'status', allStages: true, bucket: BUCKET, prefix: 'json' });
    const states = out.rows.map((r: { id: string; cells: Record<string, { state: string }> }) => [r.id, r.cells.dev?.state, r.cells.staging?.state, r.cells.production?.state]);
    expect(states).toEqual([
      ['app/0001_init', 'applied', 'checksum-differs', 'no-record'],
      ['app/0002_colour', 'applied', 'pending', 'no-record'],
      ['app/0009_dropped', 'absent', 'unknown', 'no-record'],
    ]);
    expect(out.rows[0].cells.dev.appliedAt).toBe('2026-11-30T09:00:00.000Z');
    expect(out.fingerprints.agree).toBe(false);
    expect(out.fingerprints.groups.map((g: { stages: string[] }) => g.stages)).toEqual([['dev'], ['staging'], ['production']]);
  });

  it('prints a table that fits a terminal, and writes the same matrix as a self-contained, escaped page', async () => {
    // Prepare: an id that is HTML, as only a hand-edited record could hold
    await recordStages('html', 'app/0009_<b>x</b>');
    const page = join(ws.dir, 'stages.html');
    // Act
    const result = await runCli(['status', '--all-stages', '--html', page], { cwd: ws.dir, env: env('html') });
    // Assess
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines.find((l) => l.trim().startsWith('migration'))).toMatch(/^ {2}migration\s+dev\s+staging\s+production$/);
    expect(lines.find((l) => l.includes('app/0001_init'))).toMatch(/app\/0001_init\s+2026-11-30\s+checksum-differs\s+no record/);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
    expect(result.stdout).toContain('production: has never recorded a run');
    expect(result.stdout).toContain('Schema fingerprints differ');
    const html = readFileSync(page, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<style>');
    expect(html).toContain('app/0009_&lt;b&gt;x&lt;/b&gt;');
    expect(html).not.toContain('<b>x</b>');
    expect(html).not.toMatch(/<script|<link|src=|href=/i);
    expect(html).toContain('<td class="checksum-differs"');
  });

  it('exits 2 for --html without --all-stages, and 1 when a record cannot be read', async () => {
    // Prepare
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'corrupt/stages/staging/state.json', Body: 'not json' }));
    // Act
    const usage = await runCli(['status', '--html', 'x.html'], { cwd: ws.dir, env: env('corrupt') });
    const unreadable = await runCli(['status', '--all-stages', '--json'], { cwd: ws.dir, env: env('corrupt') });
    // Assess
    expect(usage.code).toBe(2);
    expect(unreadable.code).toBe(1);
    expect(cliJson(unreadable.stdout).error).toMatchObject({ code: 'STAGE_RECORD_INVALID', stage: 'staging', problem: 'not-json' });
  });
});
