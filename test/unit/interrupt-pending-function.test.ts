import { createHash } from 'node:crypto';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { InterruptedError } from '../../lib/core/errors';
import { runRemote } from '../../lib/remote/run-remote';
import { MemoryLogger } from '../support/workspace';

describe('Function: runRemote stopped while the function is still Pending (just deployed)', () => {
  it('stops at once, and does not claim a run goes on in a function that was never invoked', async () => {
    // Prepare: the bundle is in S3; the first Invoke answers "Pending" (as Lambda does right after a deploy); GetFunction says Pending twice, then Active
    const bytes = Buffer.from('bundle');
    const bundle = { bytes, id: createHash('sha256').update(bytes).digest('hex') };
    const s3 = { send: async () => ({ ContentLength: bytes.length, Metadata: { sha256: bundle.id }, ChecksumSHA256: createHash('sha256').update(bytes).digest('base64') }) } as unknown as S3Client;
    let invokes = 0;
    let invokesReachingTheFunction = 0;
    let getFunction = 0;
    const lambda = {
      send: (command: { constructor: { name: string } }, options?: { abortSignal?: AbortSignal }) => {
        if (command.constructor.name === 'GetFunctionCommand') {
          getFunction += 1;
          return Promise.resolve({ Configuration: { State: getFunction <= 2 ? 'Pending' : 'Active' } });
        }
        invokes += 1;
        if (invokes === 1) return Promise.reject(Object.assign(new Error('The operation cannot be performed at this time. The function is currently in the following state: Pending'), { name: 'ResourceConflictException' }));
        // As @smithy/node-http-handler does: an already aborted signal rejects before anything is sent
        if (options?.abortSignal?.aborted) return Promise.reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));
        invokesReachingTheFunction += 1;
        return new Promise((_resolve, reject) => options?.abortSignal?.addEventListener('abort', () => reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }))));
      },
    } as unknown as LambdaClient;
    const controller = new AbortController();
    const request = { action: 'migrate' as const, stage: 'prod', functionName: 'orders-prod-migrate', bucket: 'b', prefix: 'stagegate', bundle, stop: controller.signal };
    // Act: Ctrl-C 20 ms in, while the CLI waits for the function to become Active
    const running = runRemote({ s3, lambda, logger: new MemoryLogger() }, request);
    await new Promise((done) => setTimeout(done, 20));
    const stoppedAt = Date.now();
    controller.abort('SIGINT');
    const error = await running.catch((caught: unknown) => caught);
    const tookMs = Date.now() - stoppedAt;
    // Assess
    expect(error).toBeInstanceOf(InterruptedError);
    expect(invokesReachingTheFunction).toBe(0);
    expect((error as InterruptedError).details.goesOn).toBe(false);
    expect((error as InterruptedError).message).toContain('before invoking orders-prod-migrate');
    expect(tookMs).toBeLessThan(500);
  }, 30_000);
});
