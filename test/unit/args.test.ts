import { parseCommandLine } from '../../lib/cli/args';
import { UsageError } from '../../lib/core/errors';

describe('Function: parseCommandLine', () => {
  it('reads a command with its options', () => {
    // Act
    const parsed = parseCommandLine(['migrate', '--dir', 'db/migrations', '--database-url', 'postgres://x', '--json']);
    // Assess
    expect(parsed).toEqual({ command: 'migrate', positionals: [], options: { dir: 'db/migrations', 'database-url': 'postgres://x', json: true } });
  });

  it('reads squash with its app, range and prune options', () => {
    expect(parseCommandLine(['squash', 'shop', '--from', '0002', '--to', '0009']).options).toEqual({ from: '0002', to: '0009' });
    expect(parseCommandLine(['squash', 'shop', '--prune', '--force', '--reason', 'why', '--region', 'eu-west-1']).positionals).toEqual(['shop']);
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
    [['squash', '--to', '0003'], /exactly one app/],
    [['squash', 'shop', '--stage', 'dev'], /does not take --stage/],
    [['migrate', '--dir'], /argument missing|--dir/],
  ])('refuses %p as a usage error', (argv, message) => {
    // Act
    const act = (): unknown => parseCommandLine(argv);
    // Assess
    expect(act).toThrow(UsageError);
    expect(act).toThrow(message);
  });
});
