/**
 * What a local command has started and must stop, in the reverse order, on
 * every path: success, failure and Ctrl-C alike. Each stop runs once; one
 * that fails does not keep the others from running.
 *
 * @example
 * const cleanup = new Cleanup();
 * process.once('SIGINT', () => void cleanup.run().finally(() => process.exit(130)));
 * const s3 = await startS3();
 * cleanup.add(() => s3.stop());
 * try { … } finally { await cleanup.run(); }
 */
export class Cleanup {
  private readonly stops: (() => Promise<void>)[] = [];
  private running: Promise<void> | undefined;

  /** Registers a stop. After {@link run} has begun, it is called at once: nothing may outlive the run. */
  add(stop: () => Promise<void>): void {
    if (this.running) void stop().catch(() => undefined);
    else this.stops.push(stop);
  }

  /** Calls every stop, last registered first; later calls wait for the same run. Never throws. */
  run(): Promise<void> {
    this.running ??= (async () => {
      for (const stop of this.stops.reverse()) await stop().catch(() => undefined);
    })();
    return this.running;
  }
}
