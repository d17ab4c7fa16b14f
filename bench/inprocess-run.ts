/**
 * W4, peak memory: the packaged migrate function, invoked in this process
 * the way Lambda invokes it, applies a whole bundle. Its environment (the
 * database URL, the local S3) comes from the parent.
 * Usage: node inprocess-run.cjs <migrate.js> <event JSON> <result file>
 * Writes {"status", "applied", "ms", "maxRssMb"} to the result file (stdout carries the function's logs).
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface Handler {
  handler(event: unknown, context: unknown): Promise<{ status: string; applied: unknown[] }>;
}

function context(): Record<string, unknown> {
  const deadline = Date.now() + 900_000;
  return {
    functionName: 'stagegate-bench-migrate',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:stagegate-bench-migrate',
    memoryLimitInMB: '128',
    awsRequestId: '00000000-0000-4000-8000-000000000000',
    logGroupName: '/aws/lambda/stagegate-bench-migrate',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

async function main(artifact: string, event: string, resultFile: string): Promise<void> {
  const { handler } = createRequire(__filename)(artifact) as Handler;
  const started = performance.now();
  const response = await handler(JSON.parse(event), context());
  const ms = performance.now() - started;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  writeFileSync(resultFile, JSON.stringify({ status: response.status, applied: response.applied.length, ms, maxRssMb }));
}

main(process.argv[2] ?? '', process.argv[3] ?? '{}', process.argv[4] ?? '').catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
