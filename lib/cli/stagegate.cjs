#!/usr/bin/env node
// The `stagegate` command (package.json "bin"), copied to dist/ by `npm run build`.
// The CLI itself is bundled as ES modules split into chunks (dist/cli/), so a
// command loads only the code it runs: `migrate` never loads the AWS SDK that
// `publish` and `--stage` need.
import('./cli/bin.mjs');
