/**
 * Hostile command lines: wrong types, unknown and missing options, huge
 * strings, paths that are not bundles. Each ends with a typed error (exit 2
 * for usage, 1 otherwise) and a short message, before any database work.
 */
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../lib/cli/main';
import { parseConfig } from '../../lib/config';
import { ConfigInvalidError } from '../../lib/core/errors';

const HUGE = 'x'.repeat(100_000);
const NO_DATABASE = 'postgres://app:secret@127.0.0.1:1/app';

async function cli(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string; error: { code: string; message: string } }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli({
    argv: [...argv, '--json'],
    env: { NO_COLOR: '1' },
    cwd,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  const error = (JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { error?: { code: string; message: string } }).error ?? { code: '', message: '' };
  return { code, stdout, stderr, error };
}

describe('CLI: hostile arguments', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'stagegate-hostile-'));
    // `bundle --dir .` needs a migration to bundle before it reaches --out.
    mkdirSync(join(dir, 'app'));
    writeFileSync(join(dir, 'app', '0001_init.sql'), 'CREATE TABLE hostile (id int);');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['an unknown option of 100,000 characters', ['migrate', `--${HUGE}`], 'USAGE'],
    ['a value for a flag', ['migrate', '--verbose=yes'], 'USAGE'],
    ['an option without its value', ['migrate', '--lock-wait'], 'USAGE'],
    ['an unknown field', ['migrate', '--target', 'org/0001_x'], 'USAGE'],
    ['a huge positional argument', ['status', HUGE], 'USAGE'],
    ['a huge migration id to resolve', ['resolve', HUGE, '--applied', '--database-url', NO_DATABASE], 'USAGE'],
    ['a duration that is not one', ['migrate', '--lock-wait', 'soon', '--database-url', NO_DATABASE], 'CONFIG_INVALID'],
    ['a huge duration', ['migrate', '--lock-timeout', '9'.repeat(100_000), '--database-url', NO_DATABASE], 'CONFIG_INVALID'],
    ['a huge schema name', ['migrate', '--schema', HUGE, '--database-url', NO_DATABASE], 'CONFIG_INVALID'],
    ['a huge database URL', ['migrate', '--database-url', `postgres://app:${HUGE}@db:port/app`], 'CONFIG_INVALID'],
    ['a huge --dir', ['migrate', '--dir', HUGE, '--database-url', NO_DATABASE], 'BUNDLE_NOT_FOUND'],
    ['a huge --bundle', ['migrate', '--bundle', HUGE, '--database-url', NO_DATABASE], 'BUNDLE_NOT_FOUND'],
    ['a huge --out', ['bundle', '--dir', '.', '--out', HUGE], 'USAGE'],
  ])('refuses %s with a short message', async (_name, argv, code) => {
    // Act
    const result = await cli(argv, dir);
    // Assess
    expect([result.code, result.error.code]).toEqual([code === 'USAGE' ? 2 : 1, code]);
    expect(result.stderr.length).toBeLessThan(1_500);
    expect(result.stdout.length).toBeLessThan(1_500);
    expect(result.stdout + result.stderr).not.toContain('secret');
  });

  it.each([
    ['a folder', () => dir, /it is a folder, not a bundle file/],
    ['a device that never ends', () => '/dev/zero', /it is not a regular file/],
    ['a 3 GiB file (sparse: refused before it is read)', () => sparseFile(3 * 1024 ** 3), /it is 3221225472 bytes; the limit is/],
  ])('refuses --bundle naming %s as BUNDLE_INVALID', async (_name, path, reason) => {
    // Act
    const result = await cli(['migrate', '--bundle', path(), '--database-url', NO_DATABASE], dir);
    // Assess
    expect([result.code, result.error.code]).toEqual([1, 'BUNDLE_INVALID']);
    expect(result.error.message).toMatch(reason);
  });

  it('refuses an --out below a file with a usage error naming the path', async () => {
    // Prepare
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'not a folder');
    // Act
    const result = await cli(['bundle', '--dir', '.', '--out', join(file, 'b.json.gz')], dir);
    // Assess
    expect([result.code, result.error.code]).toEqual([2, 'USAGE']);
    expect(result.error.message).toMatch(/^stagegate bundle cannot write .*plain-file\/b\.json\.gz: the file system reported E[A-Z]+\.$/);
  });

  function sparseFile(size: number): string {
    const path = join(dir, `sparse-${size}.json.gz`);
    writeFileSync(path, '');
    // Extending an empty file leaves a hole: no disk space is used.
    truncateSync(path, size);
    return path;
  }
});

describe('Function: parseConfig on hostile settings', () => {
  it('refuses a schema name with a NUL character and never repeats the URL of a bad database URL', () => {
    // Act
    let error: unknown;
    try {
      parseConfig({ schema: 'ledger\u0000; DROP TABLE x', databaseUrl: "postgres://app:p@ss'word@db:99999/app" });
    } catch (caught) {
      error = caught;
    }
    // Assess
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect((error as ConfigInvalidError).problems).toEqual([
      { key: 'databaseUrl', problem: expect.stringContaining('is not a valid URL (expected postgres://user:password@host:5432/database)') },
      { key: 'schema', problem: 'must not contain a NUL character' },
    ]);
    expect((error as Error).message).not.toContain("ss'word");
  });
});
