/**
 * What a pipeline and an engineer get from the command line itself, before
 * any database: each command's help as the README states it, and usage
 * errors that are one JSON object naming the command, with exit code 2.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from '../../lib/cli/args';
import { runCli } from '../../lib/cli/main';

async function cli(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli({
    argv,
    env: { NO_COLOR: '1', ...env },
    cwd: __dirname,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

const flat = (text: string): string => text.replace(/\s+/g, ' ');

/** The README's synopsis lines of `command` (its "## Commands" block), continuation lines joined. */
function readmeSynopsis(command: string): string[] {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const block = /## Commands\n\n```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const entries = block.split(/\n(?=stagegate )/).map(flat).map((entry) => entry.trim());
  return entries.filter((entry) => entry.startsWith(`stagegate ${command} `));
}

describe('CLI: the help of each command', () => {
  it.each(Object.keys(COMMANDS))('prints the help of %s with --help, -h and help <command>, as the README states it', async (command) => {
    // Act
    const long = await cli([command, '--help']);
    const short = await cli([command, '-h', '--verbose']);
    const named = await cli(['help', command]);
    // Assess
    expect([long.code, short.code, named.code]).toEqual([0, 0, 0]);
    expect(short.stdout).toBe(long.stdout);
    expect(named.stdout).toBe(long.stdout);
    expect(long.stdout).toMatch(new RegExp(`^Usage:\\n {2}stagegate ${command} `));
    const synopsis = readmeSynopsis(command);
    expect(synopsis.length).toBeGreaterThan(0);
    for (const line of synopsis) expect(flat(long.stdout)).toContain(line);
    for (const option of COMMANDS[command as keyof typeof COMMANDS]) expect(long.stdout).toContain(`--${option}`);
  });

  it('keeps an option described for other commands out of a command\'s help', async () => {
    // Act
    const squash = await cli(['squash', '--help']);
    const adopt = await cli(['adopt', '--help']);
    // Assess
    expect(squash.stdout).not.toContain('plan/migrate: go to TARGET');
    expect(squash.stdout).not.toContain('stage order is overridden');
    expect(adopt.stdout).not.toContain('squash --prune: prune');
  });

  it('prints one JSON object holding the help with --json', async () => {
    // Act
    const result = await cli(['plan', '--help', '--json']);
    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, action: 'help', command: 'plan', text: expect.stringContaining('stagegate plan ') });
  });
});

describe('CLI: usage errors', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('refuses "%s" as an unknown command, exit 2', async (name) => {
    // Act
    const result = await cli([name, '--json']);
    // Assess
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, action: null, error: { code: 'USAGE', message: `Unknown command "${name}".` } });
  });

  it('says the command comes first when an option does, and refuses help for an unknown command', async () => {
    // Act
    const early = await cli(['--json', 'migrate']);
    const unknown = await cli(['help', 'frobnicate', '--json']);
    // Assess
    expect([early.code, unknown.code]).toEqual([2, 2]);
    expect(JSON.parse(early.stdout).error.message).toBe('Unknown command "--json": the command comes first, then its options (stagegate migrate --json).');
    expect(JSON.parse(unknown.stdout)).toMatchObject({ ok: false, error: { code: 'USAGE', message: 'stagegate help: unknown command "frobnicate".' } });
  });

  it.each([
    ['resolve', ['resolve', 'nonsense', '--applied']],
    ['adopt', ['adopt', 'org/1_x']],
  ])('refuses a malformed migration id to %s as usage before any database is reached', async (command, argv) => {
    // Act: the database URL names a port nobody listens on
    const result = await cli([...argv, '--json', '--database-url', 'postgres://app:secret@127.0.0.1:1/app']);
    // Assess
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, action: command, error: { code: 'USAGE', message: expect.stringContaining('is not a migration id') } });
    expect(result.stderr).not.toContain('target:');
  });

  it.each([
    ['an unknown option', ['migrate', '--bogus', '--json'], 'migrate'],
    ['a missing value', ['status', '--json', '--dir'], 'status'],
    ['a value for --json', ['drift', '--json=true'], 'drift'],
    ['conflicting options', ['plan', '--dir', 'a', '--bundle', 'b', '--json'], 'plan'],
  ])('refuses %s with exactly one JSON object naming the command', async (_name, argv, action) => {
    // Act
    const result = await cli(argv);
    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, action, error: { code: 'USAGE' } });
    expect(result.stderr).toContain('error USAGE');
  });
});

describe('CLI: resolve --stage usage', () => {
  it.each([
    [['--database-url', 'postgres://127.0.0.1:1/app'], "stagegate resolve --stage runs on the stage's own function; --database-url does not apply (the function's configuration does)."],
    [['--lock-wait', '5s'], "stagegate resolve --stage runs on the stage's own function; --lock-wait does not apply (the function's configuration does)."],
    [['--reason', ' '], "stagegate resolve --stage: --reason must say why in 1 to 1000 characters (it is kept in the stage's run history)."],
  ])('refuses %p with --stage before anything is invoked, exit 2', async (extra, message) => {
    // Act
    const result = await cli(['resolve', 'shop/0001_orders', '--applied', '--stage', 'prod', ...extra, '--json']);
    // Assess
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, action: 'resolve', error: { code: 'USAGE', message } });
  });
});

describe('CLI: invalid settings', () => {
  it('names each problem by the option or the environment variable that set it', async () => {
    // Act
    const migrate = await cli(['migrate', '--json', '--drift', 'maybe', '--database-url', 'not a url:secret'], { STAGEGATE_LOCK_WAIT_MS: 'soon', STAGEGATE_EMBEDDED_PORT: '0' });
    const plan = await cli(['plan', '--json', '--rehearse', '--lock-timeout', 'later'], { DATABASE_URL: 'mysql://u:secret@h/d', STAGEGATE_LOCK_TIMEOUT_MS: 'x' });
    const check = await cli(['check', '--json', '--database-url', 'nope'], { DATABASE_URL: 'also nope' });
    // Assess
    const keys = (result: { stdout: string }): string[] => (JSON.parse(result.stdout).error.problems as { key: string }[]).map((p) => p.key);
    expect([migrate.code, plan.code, check.code]).toEqual([1, 1, 1]);
    expect(keys(migrate)).toEqual(['--database-url', 'STAGEGATE_LOCK_WAIT_MS', 'STAGEGATE_EMBEDDED_PORT', '--drift']);
    expect(keys(plan)).toEqual(['DATABASE_URL', 'STAGEGATE_LOCK_TIMEOUT_MS', '--lock-timeout']);
    expect(keys(check)).toEqual(['--database-url']);
    expect(migrate.stderr).toContain('  - STAGEGATE_LOCK_WAIT_MS: must be a duration');
    expect(migrate.stdout + migrate.stderr + plan.stdout + plan.stderr).not.toContain('secret');
  });
});
