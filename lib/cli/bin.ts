import { runCli } from './main';

runCli({ argv: process.argv.slice(2), env: process.env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`stagegate: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
