import { gunzipSync, gzipSync } from 'node:zlib';
import type { LoadedBundle } from '../ports';
import { parseBundleDocument, type BundleEntry } from './bundle-document';
import { decodeContentV2, encodeContentV2, FORMAT_VERSION_2 } from './bundle-v2';
import { buildCatalog, type SourceFile } from './catalog';
import { CHECKSUM_VERSION, sha256Hex } from './checksum';
import { BundleIntegrityError, BundleInvalidError, MigrationsInvalidError } from './errors';
import { compareParsedIds, parseMigrationId, type Migration } from './migration';

/**
 * The bundle file: gzip'd, deterministic (same migrations, same bytes),
 * identified by the sha256 of the file. Version 2, which {@link encodeBundle}
 * writes, is a header line of JSON and the SQL texts after it (see
 * `bundle-v2.ts`); version 1, one JSON document with an entry per
 * migration, is still read, so published bundles keep loading under their
 * ids. Loading verifies the hash, gzip, JSON, format version, shape and ids
 * before anything touches a database; checksums and dependencies are
 * checked against the SQL itself as {@link decodeBundle} describes.
 */
export const BUNDLE_FORMAT = 'stagegate-bundle';
/** The version {@link encodeBundle} writes; {@link decodeBundle} reads this one and version 1. */
export const BUNDLE_FORMAT_VERSION = FORMAT_VERSION_2;
/** Largest bundle file accepted (compressed). */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;
/** Largest content accepted after decompression: a gzip bomb stops here. */
export const MAX_BUNDLE_JSON_BYTES = 256 * 1024 * 1024;

/**
 * Encodes migrations (as returned by `buildCatalog`) into bundle bytes and id.
 *
 * @example
 * const { bytes, id } = encodeBundle(buildCatalog(files));
 */
export function encodeBundle(migrations: readonly Migration[]): { bytes: Buffer; id: string } {
  const bytes = gzipSync(encodeContentV2(migrations), { level: 9 });
  // The gzip header's OS byte differs between platforms; pin it so the id does not.
  bytes[9] = 3;
  return { bytes, id: sha256Hex(bytes) };
}

/**
 * Verifies and decodes bundle bytes. `expectedId`, when given, must equal the
 * sha256 of the bytes. Throws `BundleIntegrityError` or `BundleInvalidError`.
 *
 * Verify what you use: a bundle pinned by its id is the exact file that was
 * built and published, so loading checks the hash and size only; its content
 * is decoded when `migrations` is first read (shape, ids and order checked
 * then), and the engine recomputes checksums, directives and dependencies
 * only for the migrations it is about to run (`verifyClaims`), only when
 * something will run. A bundle without an id to check is rebuilt from its SQL
 * in full here, every claim compared, as `stagegate bundle` would build it.
 *
 * @example
 * const bundle = decodeBundle(bytes, 's3://deploys/stagegate/bundles/ab….json.gz', 'ab…');
 */
export function decodeBundle(bytes: Uint8Array, origin: string, expectedId?: string): LoadedBundle {
  const id = sha256Hex(bytes);
  if (expectedId !== undefined && expectedId.toLowerCase() !== id) throw new BundleIntegrityError(origin, expectedId, id);
  if (bytes.length > MAX_BUNDLE_BYTES) throw new BundleInvalidError(origin, `it is ${bytes.length} bytes; the limit is ${MAX_BUNDLE_BYTES}`);
  if (expectedId === undefined) {
    const content = readContent(bytes, origin);
    return { id, origin, migrations: rebuild(content.version === 1 ? content.entries : content.migrations, origin), allVerified: true };
  }
  return pinnedBundle(id, origin, () => {
    const content = readContent(bytes, origin);
    return content.version === 1 ? fromClaims(content.entries, origin) : content.migrations;
  });
}

/**
 * A bundle pinned by its hash, its content decoded on first use of
 * `migrations` (which throws `BundleInvalidError` then, if it must): a run
 * that finds the ledger as this very bundle left it never needs it.
 */
function pinnedBundle(id: string, origin: string, decode: () => Migration[]): LoadedBundle {
  let migrations: Migration[] | undefined;
  return {
    id,
    origin,
    allVerified: false,
    get migrations(): Migration[] {
      migrations ??= decode();
      return migrations;
    },
  };
}

/**
 * The same bundle under another origin, still decoded at most once (a
 * spread would decode it to copy `migrations`).
 *
 * @example
 * const again = withOrigin(cached, 's3://deploys/stagegate/bundles/ab….json.gz');
 */
export function withOrigin(bundle: LoadedBundle, origin: string): LoadedBundle {
  const copy = Object.defineProperties({}, Object.getOwnPropertyDescriptors(bundle)) as LoadedBundle;
  copy.origin = origin;
  return copy;
}

/** What a bundle states: version 1's entries as they are, version 2's migrations. */
type Content = { version: 1; entries: BundleEntry[] } | { version: 2; migrations: Migration[] };

function readContent(bytes: Uint8Array, origin: string): Content {
  let content: Buffer;
  try {
    content = gunzipSync(bytes, { maxOutputLength: MAX_BUNDLE_JSON_BYTES, chunkSize: inflateChunkSize(bytes) });
  } catch (error) {
    const tooLarge = (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    throw new BundleInvalidError(origin, tooLarge ? `it expands beyond ${MAX_BUNDLE_JSON_BYTES} bytes` : 'it is not valid gzip (truncated or corrupt)', error);
  }
  // Version 2's header ends at the first line break; version 1 is one JSON document without any.
  const lineEnd = content.indexOf(10);
  let json: unknown;
  try {
    json = JSON.parse(content.toString('utf8', 0, lineEnd < 0 ? content.length : lineEnd));
  } catch (error) {
    throw new BundleInvalidError(origin, 'it does not contain valid JSON', error);
  }
  const header = json as { format?: unknown; formatVersion?: unknown; checksumVersion?: unknown } | null;
  if (typeof header !== 'object' || header === null || header.format !== BUNDLE_FORMAT || typeof header.formatVersion !== 'number') {
    throw new BundleInvalidError(origin, 'it is not a stagegate bundle (no "format": "stagegate-bundle")');
  }
  if (header.formatVersion !== 1 && header.formatVersion !== FORMAT_VERSION_2) {
    throw new BundleInvalidError(origin, `format version ${header.formatVersion} is not supported (this stagegate reads versions 1 and ${FORMAT_VERSION_2}); use the stagegate version that built it`);
  }
  if (header.checksumVersion !== CHECKSUM_VERSION && typeof header.checksumVersion === 'number') {
    throw new BundleInvalidError(origin, `checksum version ${header.checksumVersion} is not supported`);
  }
  if (header.formatVersion === 1) {
    if (lineEnd >= 0) throw new BundleInvalidError(origin, 'it is not a stagegate bundle (a version 1 bundle is one JSON document)');
    return { version: 1, entries: parseBundleDocument(json, origin).migrations };
  }
  if (lineEnd < 0) throw new BundleInvalidError(origin, 'it has no SQL section (version 2 puts the SQL after the header line)');
  return { version: 2, migrations: decodeContentV2(json, content.subarray(lineEnd + 1), origin) };
}

/** Bounds of the output chunk of gunzip; beyond the largest, a large bundle inflates in several chunks. */
const MIN_CHUNK = 64 * 1024;
const MAX_CHUNK = 16 * 1024 * 1024;

/**
 * One output chunk for the whole JSON, sized by the size the gzip trailer
 * states (ISIZE, the last 4 bytes): with zlib's default of 16 KB, a 5 MB
 * bundle inflates in 320 chunks that are then copied together (a third of
 * the inflate time). Only a hint: a false ISIZE costs at most one chunk of
 * 16 MB, and `maxOutputLength` still bounds the output.
 */
function inflateChunkSize(bytes: Uint8Array): number {
  if (bytes.length < 18) return MIN_CHUNK;
  const n = bytes.length;
  const stated = ((bytes[n - 1] as number) * 2 ** 24) + (((bytes[n - 2] as number) << 16) | ((bytes[n - 3] as number) << 8) | (bytes[n - 4] as number));
  return Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, stated + 1));
}

/** Each entry's id and file, checked for every entry (a pinned bundle still names only valid files, each once). */
function checkEntry(entry: BundleEntry, seen: Set<string>, origin: string): void {
  if (seen.has(entry.id)) throw new BundleInvalidError(origin, `migration id ${entry.id} appears twice`);
  seen.add(entry.id);
  const { id, file } = entry;
  // Compared without building `${id}.sql` for each of 10,000 entries.
  if (file.length !== id.length + 4 || !file.startsWith(id) || !file.endsWith('.sql')) throw new BundleInvalidError(origin, `migration ${JSON.stringify(entry.id)} has file ${JSON.stringify(entry.file)}; expected <id>.sql`);
}

/** The migrations as the bundle states them, in its order, which must be the order of their ids. */
function fromClaims(entries: BundleEntry[], origin: string): Migration[] {
  const seen = new Set<string>();
  const migrations: Migration[] = [];
  for (const entry of entries) {
    checkEntry(entry, seen, origin);
    const parsed = parseMigrationId(entry.id);
    if (!parsed) throw new BundleInvalidError(origin, `${JSON.stringify(entry.id)} is not a migration id (expected app/NNNN_name)`);
    const previous = migrations[migrations.length - 1];
    if (previous && (compareParsedIds(previous, parsed) || (previous.id < entry.id ? -1 : 1)) > 0) throw new BundleInvalidError(origin, `its migrations are not in id order (${entry.id} after ${previous.id})`);
    const { id, file, sql, downSql, checksum, directives, dependencies } = entry;
    migrations.push({ id, app: parsed.app, number: parsed.number, name: parsed.name, file, sql, downSql, checksum, directives, dependencies });
  }
  return migrations;
}

/** Rebuilds the migrations from their SQL and checks that the bundle's own claims agree. */
function rebuild(entries: BundleEntry[], origin: string): Migration[] {
  const files: SourceFile[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    checkEntry(entry, seen, origin);
    files.push({ path: entry.file, content: entry.sql });
    if (entry.downSql !== null) files.push({ path: `${entry.id}.down.sql`, content: entry.downSql });
  }
  let migrations: Migration[];
  try {
    migrations = buildCatalog(files);
  } catch (error) {
    if (!(error instanceof MigrationsInvalidError)) throw error;
    throw invalidMigrations(error, origin);
  }
  if (migrations.length !== entries.length) throw new BundleInvalidError(origin, 'it contains entries that are not migrations');
  const byId = new Map(entries.map((e) => [e.id, e]));
  for (const m of migrations) {
    const entry = byId.get(m.id);
    if (!entry || entry.checksum !== m.checksum) throw new BundleInvalidError(origin, `the checksum of ${m.id} does not match its SQL (the bundle was edited)`);
    if (entry.dependencies.join() !== m.dependencies.join()) throw new BundleInvalidError(origin, `the dependencies of ${m.id} do not match its directives (the bundle was edited)`);
  }
  return migrations;
}

/** A catalog problem found in a bundle, as a bundle error naming the first problem. */
export function invalidMigrations(error: MigrationsInvalidError, origin: string): BundleInvalidError {
  const first = error.problems[0];
  return new BundleInvalidError(origin, `its migrations are invalid (${error.problems.length} problem(s), first: ${first?.file}: ${first?.message})`, error);
}
