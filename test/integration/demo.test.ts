import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../lib/local/free-port';
import type { ProcessResult } from '../support/workspace';

const ROOT = resolve(__dirname, '../..');
const DEMO = join(ROOT, 'dist/demo.cjs');
/** The example migrations in ./migrations, in the order they apply. */
const EXAMPLES = ['organization/0001_initial', 'organization/0002_organization_type', 'membership/0001_initial', 'organization/0003_organization_name_index'];

function isListening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/** Demos still running, with what their exit will settle; a test that timed out leaves one here. */
const running = new Map<ChildProcess, Promise<unknown>>();

function runDemo(cwd: string, env: Record<string, string>): Promise<ProcessResult> {
  const child = spawn(process.execPath, [DEMO], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const result = new Promise<ProcessResult>((done, fail) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
  running.set(child, result.catch(() => undefined));
  return result.finally(() => running.delete(child));
}

/**
 * `npm run demo` as a user runs it, in a copy of the project so that its
 * embedded server (data under `.stagegate/`, on a free port) is its own.
 */
describe('Integration: the demo, from the embedded PostgreSQL to the Lambda emulator', () => {
  let project: string;

  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'stagegate-demo-'));
    // As root the embedded server runs as `postgres`, which must enter the folder.
    chmodSync(project, 0o755);
    cpSync(join(ROOT, 'migrations'), join(project, 'migrations'), { recursive: true });
    copyFileSync(join(ROOT, 'serverless.yml'), join(project, 'serverless.yml'));
  });
  afterAll(async () => {
    // As Ctrl-C would: the demo stops its servers before it exits.
    for (const [child, exited] of running) {
      child.kill('SIGINT');
      await exited;
    }
    rmSync(project, { recursive: true, force: true });
  });

  it('plans, migrates and reports every example migration through the migrate function, then stops every server', async () => {
    // Prepare
    const postgresPort = await freePort();
    // Act
    const result = await runDemo(project, { STAGEGATE_EMBEDDED_PORT: String(postgresPort) });
    // Assess
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const out = result.stdout;
    expect(out).toContain('1/3 plan on stage local (through the Lambda emulator)');
    expect(out).toContain('2/3 migrate on stage local (through the Lambda emulator)');
    expect(out).toContain('3/3 status on stage local (through the Lambda emulator)');
    expect(out).toContain(`Plan: ${EXAMPLES.length} migrations to apply`);
    for (const id of EXAMPLES) expect(out).toMatch(new RegExp(`✓ ${id.replace('/', '\\/')} {2}\\d+ ms`));
    expect(out).toMatch(/^4 applied$/m);
    expect(out).toMatch(/Done in \d+\.\d s/);
    const s3Port = Number(/s3rver at http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    const lambdaPort = Number(/serverless-offline at http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    expect(out).toContain(`127.0.0.1:${postgresPort}/stagegate_demo`);
    for (const port of [postgresPort, s3Port, lambdaPort]) {
      expect(port).toBeGreaterThan(0);
      expect(await isListening(port)).toBe(false);
    }
  });

  it('exits 1 at the first failing step, with the error of the migration, and still stops every server', async () => {
    // Prepare
    const postgresPort = await freePort();
    const broken = join(project, 'migrations/organization/0004_broken.sql');
    writeFileSync(broken, 'ALTER TABLE organization ADD COLUMN owner_id int REFERENCES nowhere (id);\n');
    // Act
    const result = await runDemo(project, { STAGEGATE_EMBEDDED_PORT: String(postgresPort) }).finally(() => rmSync(broken));
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error MIGRATION_FAILED');
    expect(result.stderr).toContain('organization/0004_broken');
    expect(result.stdout).toContain('Step 2/3 (migrate) failed with exit code 1');
    expect(result.stdout).not.toContain('3/3 status');
    expect(await isListening(postgresPort)).toBe(false);
  });
});
