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
    [['migrate', '--to', '--json'], /--to needs a value, and what follows it is another option/],
    [['drift', '--accept', '--reason', '--json'], /--reason needs a value/],
    [['status', '--to', 'zero'], /does not take --to/],
    [['migrate', '--to', 'org/0002'], /--to needs a migration id/],
    [['migrate', '--override-stage-order', '--reason', 'x'], /go with --stage/],
    [['plan', '--stage', 'prod', '--override-stage-order'], /does not take --override-stage-order/],
    [['status', '--html', 'page.html'], /--html goes with --all-stages/],
    [['status', '--all-stages', '--stage', 'prod'], /--stage does not apply/],
    [['status', '--all-stages', '--database-url', 'postgres://x'], /--database-url does not apply/],
  ])('refuses %p as a usage error', (argv, message) => {
    // Act
    const act = (): unknown => parseCommandLine(argv);
    // Assess
    expect(act).toThrow(UsageError);
    expect(act).toThrow(message);
  });

  it('reads the stage-order override and the stage matrix options', () => {
    // Act
    const override = parseCommandLine(['migrate', '--stage', 'production', '--override-stage-order', '--reason', 'hotfix INC-123']);
    const matrix = parseCommandLine(['status', '--all-stages', '--region', 'eu-west-1', '--html', 'stages.html', '--json']);
    // Assess
    expect(override.options).toEqual({ stage: 'production', 'override-stage-order': true, reason: 'hotfix INC-123' });
    expect(matrix.options).toEqual({ 'all-stages': true, region: 'eu-west-1', html: 'stages.html', json: true });
  });
});
