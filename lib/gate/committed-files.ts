import { realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { UncommittedFile } from '../core/errors';
import { parsePorcelain, statusArgs } from './git-status';

/** Runs git (`args`) in folder `cwd` and resolves with what it printed. */
export type Git = (cwd: string, args: string[]) => Promise<string>;

/** What git says of one folder: the work tree it is in, and its files as git holds them. */
interface FolderState {
  /** The work tree's top folder, a real path; null when the folder is not part of the work tree checked. */
  root: string | null;
  /** Tracked files under the folder, relative to `root`. */
  tracked: Set<string>;
  /** What `git status` names under the folder, relative to `root`: files, and folders it ignores as a whole (ending in `/`). */
  changed: UncommittedFile[];
  /** With `root` null: why what is there does not count as committed. */
  why?: string;
}

const outside = (why: string): FolderState => ({ root: null, tracked: new Set(), changed: [], why });

/**
 * The migration files of the migrations folder `dir` that differ from what
 * its work tree has committed, as `UncommittedFile`s relative to the work
 * tree's top: every `.sql` file `git status` names (deleted ones too), and
 * every `.sql` file stagegate reads from the folder (`entries`, as
 * `listFolderTree` lists them) that git does not hold unchanged, where git
 * names no file: one in a folder git ignores (git names the folder), one
 * behind a linked app folder (git keeps the link, never what it leads to).
 * Files behind a link count as committed only when it leads into the same
 * work tree, or into a submodule of it checked out at the commit the work
 * tree records, and git holds them there unchanged. Rejects with what `git`
 * rejects with for `dir` itself (not in a repository, git missing).
 *
 * @example
 * const files = await filesNotCommitted(git, '/repo/migrations', await listFolderTree('/repo/migrations'));
 */
export async function filesNotCommitted(git: Git, dir: string, entries: readonly string[]): Promise<UncommittedFile[]> {
  const realDir = await realpath(dir);
  const own = await folderState(git, realDir);
  const root = own.root as string;
  const found = own.changed.filter((entry) => entry.file.endsWith('.sql'));
  const reported = new Set(found.map((entry) => entry.file));
  const appDirs = new Map<string, string>();
  const linked = new Map<string, FolderState>();
  for (const entry of entries) {
    const slash = entry.indexOf('/');
    if (!entry.endsWith('.sql') || slash < 0) continue;
    const file = posix(relative(root, join(realDir, entry)));
    if (reported.has(file)) continue;
    const app = entry.slice(0, slash);
    let appDir = appDirs.get(app);
    if (appDir === undefined) appDirs.set(app, (appDir = await realpath(join(realDir, app))));
    if (appDir === join(realDir, app)) {
      const state = stateOf(own, file);
      if (state !== null) found.push({ file, state });
      continue;
    }
    let behind = linked.get(appDir);
    if (!behind) linked.set(appDir, (behind = await linkedState(git, root, appDir)));
    const where = `behind the link ${posix(relative(root, join(realDir, app)))} to ${appDir}`;
    if (behind.root === null) {
      found.push({ file, state: `${where}, ${behind.why as string}` });
      continue;
    }
    const state = stateOf(behind, posix(relative(behind.root, join(appDir, entry.slice(slash + 1)))));
    if (state !== null) found.push({ file, state: `${state}, ${where}` });
  }
  return found;
}

/** How git holds `file` (relative to the state's root): null when it is tracked and unchanged. */
function stateOf(folder: FolderState, file: string): string | null {
  const named = folder.changed.find((entry) => entry.file === file || (entry.file.endsWith('/') && file.startsWith(entry.file)));
  if (named) return named.file === file ? named.state : `${named.state} (${named.file})`;
  return folder.tracked.has(file) ? null : 'not tracked by git';
}

const ELSEWHERE = 'outside this work tree: git keeps the link, not the files it leads to';

/**
 * What git holds behind a linked app folder, or a state with `root` null
 * and `why` when that is not part of the work tree at `root`: no repository
 * at all, another one, or a submodule of it not at the commit `root` records.
 */
async function linkedState(git: Git, root: string, appDir: string): Promise<FolderState> {
  const state = await folderState(git, appDir).catch(() => outside(ELSEWHERE));
  if (state.root === null || state.root === root) return state;
  const superproject = (await git(appDir, ['rev-parse', '--show-superproject-working-tree']).catch(() => '')).trim();
  if (superproject === '' || (await realpath(superproject)) !== root) return outside(ELSEWHERE);
  // `git status` in the work tree names a submodule whose checkout differs from the recorded commit.
  const submodule = posix(relative(root, state.root));
  const moved = await git(root, ['status', '--porcelain=v1', '-z', '--', submodule]);
  return moved.length > 0 ? outside(`in the submodule ${submodule}, which is not at the commit this work tree records for it (or holds changes)`) : state;
}

async function folderState(git: Git, folder: string): Promise<FolderState> {
  const root = await realpath((await git(folder, ['rev-parse', '--show-toplevel'])).trim());
  const tracked = new Set((await git(folder, ['ls-files', '-z', '--full-name', '--', '.'])).split('\0').filter((file) => file.length > 0));
  const changed = parsePorcelain(await git(folder, statusArgs('.')));
  return { root, tracked, changed };
}

const posix = (path: string): string => (sep === '/' ? path : path.split(sep).join('/'));
