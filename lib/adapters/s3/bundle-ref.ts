/** Where a bundle lives in S3, and the sha256 it must have. */
export interface BundleRef {
  bucket: string;
  key: string;
  /** sha256 of the bundle file, lowercase hex: its id. */
  sha256: string;
}

/**
 * The content-addressed key of a bundle: `<prefix>/bundles/<bundleId>.json.gz`
 * (no leading segment when the prefix is empty).
 *
 * @example
 * bundleKey('stagegate', 'ab12…'); // 'stagegate/bundles/ab12….json.gz'
 */
export function bundleKey(prefix: string, bundleId: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return `${trimmed === '' ? '' : `${trimmed}/`}bundles/${bundleId}.json.gz`;
}

/** `s3://bucket/key`, for messages. */
export function describeRef(ref: Pick<BundleRef, 'bucket' | 'key'>): string {
  return `s3://${ref.bucket}/${ref.key}`;
}

/**
 * Whether `key` is the content-addressed key of the bundle `sha256` under
 * some prefix (what {@link bundleKey} gives it): `…bundles/<sha256>.json.gz`.
 *
 * @example
 * namesBundle('stagegate/bundles/ab12….json.gz', 'ab12…'); // true
 * namesBundle('stagegate/bundles/latest.json.gz', 'ab12…'); // false
 */
export function namesBundle(key: string, sha256: string): boolean {
  const name = `bundles/${sha256}.json.gz`;
  return key === name || key.endsWith(`/${name}`);
}
