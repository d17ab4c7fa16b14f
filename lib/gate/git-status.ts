import type { UncommittedFile } from '../core/errors';

/** `git status` of `path` as `parsePorcelain` reads it: every untracked file by name, and what is ignored. */
export const statusArgs = (path: string): string[] => ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignored=matching', '--', path];

/**
 * Reads `git status --porcelain=v1 -z`: entries `XY <path>` separated by NUL;
 * a rename or copy is followed by one more entry, its old path.
 */
export function parsePorcelain(output: string): UncommittedFile[] {
  const entries = output.split('\0');
  const files: UncommittedFile[] = [];
  for (let i = 0; i < entries.length; i += 1) {
    const entry = entries[i] as string;
    if (entry.length < 4) continue;
    const code = entry.slice(0, 2);
    files.push({ file: entry.slice(3), state: describeStatus(code) });
    if (code[0] === 'R' || code[0] === 'C') i += 1;
  }
  return files;
}

/** git's two status letters (index, work tree) in words. */
export function describeStatus(code: string): string {
  if (code === '??') return 'untracked';
  if (code === '!!') return 'ignored by git';
  const [index, tree] = [code[0], code[1]];
  if (index === 'U' || tree === 'U' || code === 'AA' || code === 'DD') return 'unmerged';
  const staged: Record<string, string> = { A: 'added, not committed', M: 'modified, staged', D: 'deleted, staged', R: 'renamed, not committed', C: 'copied, not committed', T: 'type changed, staged' };
  const unstaged: Record<string, string> = { M: 'modified', D: 'deleted', T: 'type changed' };
  const parts = [staged[index ?? ' '], unstaged[tree ?? ' ']].filter((part): part is string => part !== undefined);
  return parts.length > 0 ? parts.join('; ') : `git status ${code.trim()}`;
}
