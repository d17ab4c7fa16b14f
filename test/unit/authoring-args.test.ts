import { UsageError } from '../../lib/core/errors';
import { parseCommandLine } from '../../lib/cli/args';

describe('Unit: command line of the authoring commands', () => {
  it('takes an app, a name and repeated --depends-on for new', () => {
    const args = parseCommandLine(['new', 'shop', 'items', '--depends-on', 'a/0001_x', '--depends-on', 'b/0002_y', '--dir', 'm']);
    expect(args).toMatchObject({ command: 'new', positionals: ['shop', 'items'], options: { 'depends-on': ['a/0001_x', 'b/0002_y'], dir: 'm' } });
  });

  it.each([
    [['new', 'shop']],
    [['new', 'shop', 'items', 'extra']],
    [['lint', 'migrations']],
    [['lint', '--database-url', 'postgres://x/y']],
    [['check', '--stage', 'dev']],
    [['migrate', '--depends-on', 'a/0001_x']],
  ])('refuses %j as bad usage', (argv) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
  });

  it('takes --database-url for check', () => {
    expect(parseCommandLine(['check', '--database-url', 'postgres://h/d', '--json']).options).toEqual({ 'database-url': 'postgres://h/d', json: true });
  });
});
