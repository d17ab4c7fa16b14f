import { relative } from 'node:path';
import { listMigrationPaths, writeNewMigration } from '../adapters/fs/write-new-migration';
import { nextMigration } from '../core/new-migration';
import { migrationsDir, type ParsedArgs } from './args';
import { renderNew } from './authoring-render';
import type { CommandContext, CommandOutput } from './commands';

/**
 * `stagegate new <app> <name> [--depends-on ID ...]`: writes the app's next
 * migration and an empty reverse script, never overwriting a file.
 *
 * @example
 * await newCommand(parseCommandLine(['new', 'shop', 'add_orders']), ctx);
 */
export async function newCommand(args: ParsedArgs, ctx: CommandContext): Promise<CommandOutput> {
  const dir = migrationsDir(args, ctx.cwd);
  const [app, name] = args.positionals as [string, string];
  const given = args.options['depends-on'];
  // Repeated (--depends-on a --depends-on b) or comma-separated.
  const dependsOn = (Array.isArray(given) ? given : []).flatMap((value) => value.split(',')).map((id) => id.trim()).filter(Boolean);
  const planned = nextMigration(await listMigrationPaths(dir), { app, name, dependsOn });
  const written = await writeNewMigration(dir, planned);
  const shown = [written.file, written.downFile].map((path) => relative(ctx.cwd, path) || path);
  return {
    json: { ok: true, action: 'new', id: planned.id, file: written.file, downFile: written.downFile, dependsOn },
    target: dir,
    render: () => renderNew(planned.id, shown),
  };
}
