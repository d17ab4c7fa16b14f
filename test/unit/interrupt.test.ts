import { createHash } from 'node:crypto';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { InterruptedError } from '../../lib/core/errors';
import { EventEmitter } from 'node:events';
import { exitCodeOf, listenForSignals, stopModeOf, stopNotice } from '../../lib/cli/interrupt';
import { parseCommandLine } from '../../lib/cli/args';
import { runRemote, stageInterrupted } from '../../lib/remote/run-remote';
import { MemoryLogger } from '../support/workspace';

const aborted = (reason: string): AbortSignal => {
  const controller = new AbortController();
  controller.abort(reason);
  return controller.signal;
};

describe('Function: stageInterrupted (a signal under --stage)', () => {
  const request = { action: 'migrate' as const, stage: 'prod', functionName: 'orders-prod-migrate', stop: aborted('SIGINT') };

  it('while the function runs: says the run goes on there and how to see its outcome, never that anything was rolled back', () => {
    // Act
    const error = stageInterrupted(request, true, [{ id: 'a/0001_init', durationMs: 5, method: 'executed' }]);
    // Assess
    expect(error).toBeInstanceOf(InterruptedError);
    expect(error.message).toContain('the run was NOT stopped: it goes on in the function on stage prod');
    expect(error.message).toContain('orders-prod-migrate');
    expect(error.message).toContain("Committed by this command's earlier invocations: a/0001_init.");
    expect(error.remedy).toContain('`stagegate status --stage prod`');
    expect(`${error.message} ${error.remedy}`).not.toMatch(/rolled back|rolls back the/);
    expect(error.details).toMatchObject({ signal: 'SIGINT', stage: 'prod', function: 'orders-prod-migrate', goesOn: true, interrupted: null, applied: [{ id: 'a/0001_init' }] });
    expect(exitCodeOf(error.details.signal)).toBe(130);
  });

  it('before an invocation: says nothing more was started on the stage', () => {
    // Act
    const error = stageInterrupted({ ...request, stop: aborted('SIGTERM') }, false, []);
    // Assess
    expect(error.message).toBe('stagegate migrate --stage prod stopped on SIGTERM before invoking orders-prod-migrate: nothing more was started on stage prod.');
    expect(error.details.goesOn).toBe(false);
    expect(exitCodeOf(error.details.signal)).toBe(143);
  });
});

describe('Function: runRemote stopped while it waits for the function', () => {
  it('ends the wait through the invoke request\'s abort signal and reports that the run goes on', async () => {
    // Prepare: the bundle is already in S3 (with the sha256 S3 keeps); the function never answers before the stop
    const bytes = Buffer.from('bundle');
    const bundle = { bytes, id: createHash('sha256').update(bytes).digest('hex') };
    const s3 = { send: async () => ({ ContentLength: bytes.length, Metadata: { sha256: bundle.id }, ChecksumSHA256: createHash('sha256').update(bytes).digest('base64') }) } as unknown as S3Client;
    const seen: (AbortSignal | undefined)[] = [];
    const lambda = {
      send: (_command: unknown, options?: { abortSignal?: AbortSignal }) =>
        new Promise((_resolve, reject) => {
          seen.push(options?.abortSignal);
          options?.abortSignal?.addEventListener('abort', () => reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' })));
        }),
    } as unknown as LambdaClient;
    const controller = new AbortController();
    const request = { action: 'migrate' as const, stage: 'prod', functionName: 'orders-prod-migrate', bucket: 'b', prefix: 'stagegate', bundle, stop: controller.signal };
    // Act
    const running = runRemote({ s3, lambda, logger: new MemoryLogger() }, request);
    setTimeout(() => controller.abort('SIGINT'), 20);
    const error = await running.catch((caught: unknown) => caught);
    // Assess
    expect(seen).toEqual([controller.signal]);
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as InterruptedError).details).toMatchObject({ signal: 'SIGINT', stage: 'prod', goesOn: true, applied: [] });
  });
});

describe('Function: stopNotice and stopModeOf (what the first signal says)', () => {
  it('a local migrate stops safely, and says what a second Ctrl-C costs', () => {
    // Act
    const notice = stopNotice(parseCommandLine(['migrate']), 'SIGINT');
    // Assess
    expect(notice).toContain('stopping safely: no further migration starts');
    expect(notice).toContain('Press Ctrl-C again to quit without waiting: on a server of your own, a statement still running may then go on until it ends');
  });

  it('under --stage it only stops waiting, and names the status command', () => {
    // Act
    const notice = stopNotice(parseCommandLine(['migrate', '--stage', 'prod']), 'SIGTERM');
    // Assess
    expect(notice).toContain('no longer waiting for the function; a run it started goes on there (`stagegate status --stage prod` shows its outcome)');
    expect(notice).not.toContain('rolled back');
  });

  it.each([
    [['migrate'], 'run'],
    [['plan', '--rehearse'], 'run'],
    [['migrate', '--stage', 'prod'], 'stage'],
    [['plan'], 'read'],
    [['status'], 'read'],
    [['drift'], 'read'],
    [['drift', '--accept', '--reason', 'x'], 'finish'],
    [['resolve', 'a/0001_init', '--applied'], 'finish'],
    [['resolve', 'a/0001_init', '--applied', '--stage', 'prod'], 'finish'],
  ])('%j answers a stop as %s', (argv, mode) => {
    // Act + Assess
    expect(stopModeOf(parseCommandLine(argv))).toBe(mode);
  });
});

describe('Function: listenForSignals', () => {
  it('the first signal only aborts the stop; a second one exits at once with its code; after dispose, neither is handled', () => {
    // Prepare
    const proc = Object.assign(new EventEmitter(), { exit: jest.fn() });
    const written: string[] = [];
    const signals = listenForSignals(proc as unknown as NodeJS.Process, { write: (text: string) => written.push(text) });
    // Act
    proc.emit('SIGINT', 'SIGINT');
    const afterFirst = { aborted: signals.stop.aborted, reason: signals.stop.reason as unknown, exits: proc.exit.mock.calls.length };
    proc.emit('SIGTERM', 'SIGTERM');
    signals.dispose();
    // Assess
    expect(afterFirst).toEqual({ aborted: true, reason: 'SIGINT', exits: 0 });
    expect(proc.exit.mock.calls).toEqual([[143]]);
    expect(written).toEqual(['stagegate: SIGTERM again: quitting without waiting.\n']);
    expect(proc.listenerCount('SIGINT') + proc.listenerCount('SIGTERM')).toBe(0);
  });
});
