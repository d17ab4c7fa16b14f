import { execFile } from 'node:child_process';
import { MigrationsUncommittedError, UncommittedReason, type UncommittedFile } from '../core/errors';

/** `git status` can take a while on a big repository; a hung git must not hang a deploy. */
const GIT_TIMEOUT_MS = 60_000;

/**
 * Checks that every migration file (`*.sql`) in `folder` is committed: none
 * untracked, modified, staged but not committed, deleted or ignored by git.
 * Resolves when they all are; otherwise throws `MigrationsUncommittedError`
 * listing each file and its state, or saying that `folder` is not in a git
 * repository, that git could not be run, or what git said when it failed. Other files (README.md) are not
 * bundled and do not count.
 *
 * @example
 * await assertMigrationsCommitted({ cwd: serviceDir, folder: 'migrations' });
 */
export async function assertMigrationsCommitted(options: { cwd: string; folder: string }): Promise<void> {
  const files = await uncommittedMigrations(options);
  if (files.length > 0) throw new MigrationsUncommittedError(options.folder, UncommittedReason.FILES, files);
}

/**
 * The migration files of `folder` whose state differs from the last commit,
 * as `git status` reports them. Throws `MigrationsUncommittedError` when git
 * is missing or `folder` is not in a repository.
 */
export async function uncommittedMigrations(options: { cwd: string; folder: string }): Promise<UncommittedFile[]> {
  const args = ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignored=matching', '--', options.folder];
  const output = await runGit(options.cwd, args, options.folder);
  return parsePorcelain(output).filter((entry) => entry.file.endsWith('.sql'));
}

function runGit(cwd: string, args: string[], folder: string): Promise<string> {
  return new Promise((done, fail) => {
    execFile('git', args, { cwd, timeout: GIT_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return done(stdout);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fail(new MigrationsUncommittedError(folder, UncommittedReason.GIT_MISSING, [], error));
      if (/not a git repository/i.test(stderr)) return fail(new MigrationsUncommittedError(folder, UncommittedReason.NOT_A_REPOSITORY, [], error));
      const said = (stderr.trim() || error.message).split('\n').slice(0, 3).join(' ').slice(0, 300);
      fail(new MigrationsUncommittedError(folder, UncommittedReason.GIT_FAILED, [], new Error(`git ${args.join(' ')} failed: ${said}`), said));
    });
  });
}

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
