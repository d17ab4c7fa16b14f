import { ConsoleLogger } from '../../lib/cli/console-logger';
import { styleFor } from '../../lib/cli/style';

/** The warning line the CLI prints for one `run.stopped` event, without colours. */
function stoppedLine(data: Record<string, unknown>): string {
  let out = '';
  const writer = { write: (text: string) => (out += text) };
  new ConsoleLogger(writer, styleFor({ isTTY: false }, {}), { verbose: false }).warn('run.stopped', data);
  return out.trim();
}

describe('ConsoleLogger: why a run stopped', () => {
  it.each([
    [{ reason: 'deadline', next: 'a/0003_c', pending: 2 }, 'warning: stopped before a/0003_c: the time limit is near; 2 migration(s) left for the next run'],
    [{ reason: 'deadline', rehearse: true, next: 'a/0003_c' }, 'warning: rehearsal stopped before a/0003_c: the time limit is near'],
    [{ reason: 'interrupted', interrupted: 'a/0002_b', left: 'rolled-back' }, 'warning: stopped: a/0002_b was cancelled (rolled-back); no further migration starts'],
    [{ reason: 'interrupted', next: 'a/0002_b' }, 'warning: stopped before a/0002_b: interrupted; no further migration starts'],
  ])('%j reads %j', (data, line) => {
    // Act + Assess
    expect(stoppedLine(data)).toBe(line);
  });
});
