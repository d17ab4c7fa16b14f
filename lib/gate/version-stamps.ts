/**
 * The version number at the end of a qualified function ARN
 * (`arn:aws:lambda:…:function:name:13` → `"13"`), or null when it has none.
 *
 * @example
 * versionOfQualifiedArn('arn:aws:lambda:eu-west-1:123456789012:function:svc-prod-api:13'); // '13'
 */
export function versionOfQualifiedArn(arn: string): string | null {
  const parts = arn.split(':');
  const last = parts.length === 8 ? parts[7] : undefined;
  return last !== undefined && /^\d+$/.test(last) ? last : null;
}

/** The description stamp that ties a published version to its bundle. */
const BUNDLE_STAMP = /stagegate bundle ([0-9a-f]{64})/;

/**
 * The bundle id a version's description carries (`stagegate bundle <id>`),
 * or null.
 *
 * @example
 * bundleIdOfDescription('Orders API (stagegate bundle 9f2c…)'); // '9f2c…'
 */
export function bundleIdOfDescription(description: string): string | null {
  return BUNDLE_STAMP.exec(description)?.[1] ?? null;
}
