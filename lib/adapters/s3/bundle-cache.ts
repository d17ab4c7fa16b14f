import type { LoadedBundle } from '../../ports';

/**
 * Verified bundles by sha256, so a warm Lambda reuses one instead of
 * downloading and verifying it again. Small and bounded: a function sees
 * one or two bundles in its life.
 *
 * @example
 * const cache = new BundleCache(4);
 */
export class BundleCache {
  private readonly entries = new Map<string, LoadedBundle>();

  constructor(private readonly capacity = 4) {}

  get(sha256: string): LoadedBundle | undefined {
    const bundle = this.entries.get(sha256);
    if (bundle) {
      // Most recently used last, so eviction drops the oldest.
      this.entries.delete(sha256);
      this.entries.set(sha256, bundle);
    }
    return bundle;
  }

  set(bundle: LoadedBundle): void {
    this.entries.delete(bundle.id);
    this.entries.set(bundle.id, bundle);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }
}

/** The cache shared by every S3 source of this process: module scope survives warm invocations. */
export const processBundleCache = new BundleCache();
