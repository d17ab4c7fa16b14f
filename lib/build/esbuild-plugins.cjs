'use strict';
// esbuild plugins of every bundle that carries `pg`: the CLI (lib/build/cli.mjs)
// and the functions (serverless.yml, custom.esbuild.plugins).
//
// pg-node-stream: when `pg` loads, lib/stream.js asks whether it runs on
// Cloudflare Workers. On Node 20, which has no `navigator`, the test builds a
// `Response`, and that loads Node's whole fetch implementation (undici): about
// 116 million instructions (valgrind), some 25 ms, in every process that loads
// pg. Our bundles only ever run on Node, so the Node stream functions are
// picked directly. The build fails if pg's file no longer reads as expected,
// rather than leaving the check in silently.
const { readFile } = require('node:fs/promises');

const STREAM_FILE = /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/;
const RUNTIME_CHECK = 'const { getStream, getSecureStream } = getStreamFuncs()';
const NODE_ONLY = 'const { getStream, getSecureStream } = getNodejsStreamFuncs()';

const pgNodeStream = {
  name: 'pg-node-stream',
  setup(build) {
    build.onLoad({ filter: STREAM_FILE }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes(RUNTIME_CHECK)) {
        return { errors: [{ text: `pg-node-stream: ${args.path} no longer contains "${RUNTIME_CHECK}"; update lib/build/esbuild-plugins.cjs for this pg version` }] };
      }
      return { contents: source.replace(RUNTIME_CHECK, NODE_ONLY), loader: 'js' };
    });
  },
};

module.exports = [pgNodeStream];
