import { gzipSync } from 'node:zlib';
import { buildCatalog } from '../../lib/core/catalog';
import { encodeBundle } from '../../lib/core/bundle-format';
import type { BundleSource } from '../../lib/ports';
import { failure } from '../support/failure';

/** How a contract run puts bundle bytes where a source will look for them. */
export interface BundleSourceHarness {
  /** Stores `bytes` at the place of bundle `requestedId` and returns a source that requests that id. */
  store(bytes: Buffer, requestedId: string): Promise<BundleSource>;
  /** A source requesting `requestedId` where nothing is stored. */
  missing(requestedId: string): Promise<BundleSource>;
}

const files = [
  { path: 'org/0001_initial.sql', content: 'CREATE TABLE org (id int);' },
  { path: 'member/0001_initial.sql', content: '-- stagegate:depends-on org/0001_initial\nCREATE TABLE member (id int);' },
];

/**
 * The promises every `BundleSource` keeps: a verified bundle or a typed
 * error, never unverified migrations.
 */
export function describeBundleSourceContract(name: string, harness: () => Promise<BundleSourceHarness>): void {
  describe(`Contract: BundleSource (${name})`, () => {
    const good = encodeBundle(buildCatalog(files));
    let h: BundleSourceHarness;
    beforeEach(async () => {
      h = await harness();
    });

    it('returns the bundle with its id and every migration', async () => {
      // Act
      const bundle = await (await h.store(good.bytes, good.id)).load();
      // Assess
      expect(bundle.id).toBe(good.id);
      expect(bundle.migrations.map((m) => m.id)).toEqual(['member/0001_initial', 'org/0001_initial']);
      expect(bundle.migrations[0]?.dependencies).toEqual(['org/0001_initial']);
    });

    it('refuses bytes that do not hash to the requested id with BUNDLE_INTEGRITY', async () => {
      // Prepare
      const other = encodeBundle(buildCatalog([files[0] as (typeof files)[0]]));
      // Act
      const error = await failure((await h.store(other.bytes, good.id)).load());
      // Assess
      expect(error.code).toBe('BUNDLE_INTEGRITY');
      expect(error.details).toMatchObject({ expected: good.id, actual: other.id });
    });

    it('refuses a corrupt body with BUNDLE_INVALID once its hash is the requested one, at the latest when its migrations are read', async () => {
      // Prepare
      const corrupt = gzipSync('{"format": "stagegate-bundle", "formatVersion": 1, "migrations": [');
      const id = (await import('../../lib/core/checksum')).sha256Hex(corrupt);
      // Act: a bundle pinned by its hash is decoded on first use (a run that finds nothing to do never reads it)
      const error = await failure((await h.store(corrupt, id)).load().then((bundle) => bundle.migrations));
      // Assess
      expect(error.code).toBe('BUNDLE_INVALID');
    });

    it('reports a missing bundle with BUNDLE_NOT_FOUND, naming where it looked', async () => {
      // Act
      const error = await failure((await h.missing(good.id)).load());
      // Assess
      expect(error.code).toBe('BUNDLE_NOT_FOUND');
      expect(error.message).toContain(good.id);
    });
  });
}
