import { readdir, stat } from 'node:fs/promises';

/** How deep below the folder entries are listed: migrations sit two levels down; deeper ones are listed to be refused by name. */
export const MAX_FOLDER_DEPTH = 6;

/**
 * Every entry (files, folders, links) under `dir`, relative and
 * `/`-separated, down to `maxDepth` levels. A link is listed, and followed
 * only where it stands for an app folder (directly under `dir`): its
 * entries are listed, not its subfolders.
 * A walk of its own, not `readdir(dir, { recursive: true })`, which never
 * returns on some trees (`/proc/self`). Throws the file system's error for
 * a folder it cannot read, `dir` itself included.
 *
 * @example
 * await listFolderTree('migrations'); // ['shop', 'shop/0001_orders.sql', ...]
 */
export async function listFolderTree(dir: string, maxDepth = MAX_FOLDER_DEPTH): Promise<string[]> {
  const found: string[] = [];
  // Linked app folders: their files are listed, their subfolders not (a link may lead anywhere, `/proc/self/root` to `/`).
  const linked = new Set<string>();
  let level = [''];
  for (let depth = 1; depth <= maxDepth && level.length > 0; depth += 1) {
    const next: string[] = [];
    for (const prefix of level) {
      const entries = await readdir(prefix === '' ? dir : `${dir}/${prefix}`, { withFileTypes: true });
      for (const entry of entries) {
        const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
        found.push(path);
        if (linked.has(prefix)) continue;
        if (entry.isDirectory()) next.push(path);
        else if (depth === 1 && entry.isSymbolicLink() && (await isFolder(`${dir}/${path}`))) {
          linked.add(path);
          next.push(path);
        }
      }
    }
    level = next;
  }
  return found;
}

/** Whether `path` (a link) leads to a folder; a broken link does not. */
async function isFolder(path: string): Promise<boolean> {
  return stat(path).then(
    (found) => found.isDirectory(),
    () => false,
  );
}
