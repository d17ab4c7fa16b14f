import { parseCommandLine } from '../../lib/cli/args';
import { UsageError } from '../../lib/core/errors';

describe('Function: parseCommandLine', () => {
  it('reads a command with its options', () => {
    // Act
    const parsed = parseCommandLine(['migrate', '--dir', 'db/migrations', '--database-url', 'postgres://x', '--json']);
    // Assess
    expect(parsed).toEqual({ command: 'migrate', positionals: [], options: { dir: 'db/migrations', 'database-url': 'postgres://x', json: true } });
  });

  it('reads --to on plan and migrate', () => {
    // Act and Assess
    expect(parseCommandLine(['migrate', '--to', 'organization/0001_initial']).options.to).toBe('organization/0001_initial');
    expect(parseCommandLine(['plan', '--to', 'organization/zero']).options.to).toBe('organization/zero');
  });

  it.each([
    [[], 'help'],
    [['--help'], 'help'],
    [['help'], 'help'],
    [['--version'], 'version'],
  ])('treats %p as %s', (argv, command) => {
    expect(parseCommandLine(argv).command).toBe(command);
  });

  it.each([
    [['frobnicate'], /Unknown command "frobnicate"/],
    [['migrate', '--nope'], /--nope/],
    [['bundle', '--database-url', 'x'], /does not take --database-url/],
    [['plan', '--dir', 'a', '--bundle', 'b'], /either --dir or --bundle/],
    [['status', 'extra'], /takes no arguments/],
    [['resolve'], /exactly one migration id/],
    [['migrate', '--dir'], /argument missing|--dir/],
    [['status', '--to', 'zero'], /does not take --to/],
    [['migrate', '--to', 'org/0002'], /--to needs a migration id/],
  ])('refuses %p as a usage error', (argv, message) => {
    // Act
    const act = (): unknown => parseCommandLine(argv);
    // Assess
    expect(act).toThrow(UsageError);
    expect(act).toThrow(message);
  });
});
