import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { listFolderTree } from '../adapters/fs/list-folder-tree';
import { MigrationsUncommittedError, UncommittedReason, type UncommittedFile } from '../core/errors';
import { filesNotCommitted } from './committed-files';
import { parsePorcelain, statusArgs } from './git-status';

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
 * The migration files of `folder` that differ from the last commit (see
 * `filesNotCommitted`), relative to the work tree's top. Throws
 * `MigrationsUncommittedError` when git is missing, fails, or `folder` is
 * not in a repository. Of a folder that cannot be listed (gone, say), what
 * `git status` names: its deleted files; reading it next says why.
 */
export async function uncommittedMigrations(options: { cwd: string; folder: string }): Promise<UncommittedFile[]> {
  const dir = resolve(options.cwd, options.folder);
  const git = (cwd: string, args: string[]): Promise<string> => runGit(cwd, args, options.folder);
  const entries = await listFolderTree(dir).catch(() => null);
  if (entries !== null) return filesNotCommitted(git, dir, entries);
  const status = await git(options.cwd, statusArgs(options.folder));
  return parsePorcelain(status).filter((entry) => entry.file.endsWith('.sql'));
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
