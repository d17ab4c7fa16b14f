import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { FileBundleSource } from '../../lib/adapters/fs/file-bundle-source';
import { BundleCache } from '../../lib/adapters/s3/bundle-cache';
import { bundleKey } from '../../lib/adapters/s3/bundle-ref';
import { S3BundleSource } from '../../lib/adapters/s3/s3-bundle-source';
import { useS3 } from '../support/s3';
import { describeBundleSourceContract } from './bundle-source.contract';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describeBundleSourceContract('FileBundleSource', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-bundles-'));
  dirs.push(dir);
  return {
    store: async (bytes, id) => {
      writeFileSync(join(dir, `${id}.json.gz`), bytes);
      return new FileBundleSource(join(dir, `${id}.json.gz`));
    },
    missing: async (id) => new FileBundleSource(join(dir, `${id}.json.gz`)),
  };
});

const s3 = useS3('contract');

describeBundleSourceContract('S3BundleSource', async () => {
  // A fresh cache per test, so no test sees another's verified bundle.
  const cache = new BundleCache();
  const prefix = `p${Math.random().toString(36).slice(2, 8)}`;
  const source = (id: string): S3BundleSource => new S3BundleSource(s3.client, { bucket: 'contract', key: bundleKey(prefix, id), sha256: id }, cache);
  return {
    store: async (bytes, id) => {
      await s3.client.send(new PutObjectCommand({ Bucket: 'contract', Key: bundleKey(prefix, id), Body: bytes }));
      return source(id);
    },
    missing: async (id) => source(id),
  };
});
