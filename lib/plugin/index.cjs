'use strict';
// The entry serverless.yml lists under `plugins:`. The plugin itself is
// TypeScript, bundled by `npm run build` into dist/plugin.cjs.
const { join } = require('node:path');

const built = join(__dirname, '..', '..', 'dist', 'plugin.cjs');
let plugin;
try {
  plugin = require(built);
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes(built)) {
    throw new Error(`The stagegate plugin is not built: ${built} is missing. Run \`npm run build\` (npm ci runs it too), then run serverless again.`);
  }
  throw error;
}
module.exports = plugin.default || plugin.StagegatePlugin || plugin;
