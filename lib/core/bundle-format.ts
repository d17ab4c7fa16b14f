import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import type { LoadedBundle } from '../ports';
import { buildCatalog, type SourceFile } from './catalog';
import { CHECKSUM_VERSION, sha256Hex } from './checksum';
import { BundleIntegrityError, BundleInvalidError, MigrationsInvalidError } from './errors';
import { MAX_ID_LENGTH, type Migration } from './migration';

/**
 * The bundle file: gzip'd JSON, deterministic (same migrations, same bytes),
 * identified by the sha256 of the file. Loading verifies everything before
 * anything touches a database: hash, gzip, JSON, format version, ids, and
 * that checksums and dependencies match what the SQL itself says.
 */
export const BUNDLE_FORMAT = 'stagegate-bundle';
export const BUNDLE_FORMAT_VERSION = 1;
/** Largest bundle file accepted (compressed). */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;
/** Largest JSON accepted after decompression: a gzip bomb stops here. */
export const MAX_BUNDLE_JSON_BYTES = 256 * 1024 * 1024;

const directivesSchema = z.strictObject({
  dependsOn: z.array(z.string().max(MAX_ID_LENGTH)),
  replaces: z.array(z.string().max(MAX_ID_LENGTH)),
  noTransaction: z.boolean(),
  irreversible: z.boolean(),
  allow: z.array(z.strictObject({ rule: z.string(), reason: z.string() })),
});

const migrationSchema = z.strictObject({
  id: z.string().max(MAX_ID_LENGTH),
  file: z.string().max(MAX_ID_LENGTH + 16),
  checksum: z.string(),
  directives: directivesSchema,
  dependencies: z.array(z.string().max(MAX_ID_LENGTH)),
  sql: z.string(),
  downSql: z.string().nullable(),
});

const documentSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  formatVersion: z.number().int(),
  checksumVersion: z.number().int(),
  migrations: z.array(migrationSchema),
});

/**
 * Encodes migrations (as returned by `buildCatalog`) into bundle bytes and id.
 *
 * @example
 * const { bytes, id } = encodeBundle(buildCatalog(files));
 */
export function encodeBundle(migrations: readonly Migration[]): { bytes: Buffer; id: string } {
  const document = {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    checksumVersion: CHECKSUM_VERSION,
    // Fixed key order and sorted migrations make the JSON, and so the file, deterministic.
    migrations: migrations.map((m) => ({
      id: m.id,
      file: m.file,
      checksum: m.checksum,
      directives: m.directives,
      dependencies: m.dependencies,
      sql: m.sql,
      downSql: m.downSql,
    })),
  };
  const bytes = gzipSync(Buffer.from(JSON.stringify(document), 'utf8'), { level: 9 });
  // The gzip header's OS byte differs between platforms; pin it so the id does not.
  bytes[9] = 3;
  return { bytes, id: sha256Hex(bytes) };
}

/**
 * Verifies and decodes bundle bytes. `expectedId`, when given, must equal the
 * sha256 of the bytes. Throws `BundleIntegrityError` or `BundleInvalidError`.
 */
export function decodeBundle(bytes: Uint8Array, origin: string, expectedId?: string): LoadedBundle {
  const id = sha256Hex(bytes);
  if (expectedId !== undefined && expectedId.toLowerCase() !== id) throw new BundleIntegrityError(origin, expectedId, id);
  if (bytes.length > MAX_BUNDLE_BYTES) throw new BundleInvalidError(origin, `it is ${bytes.length} bytes; the limit is ${MAX_BUNDLE_BYTES}`);
  const document = parseDocument(bytes, origin);
  const migrations = rebuild(document.migrations, origin);
  return { id, origin, migrations };
}

function parseDocument(bytes: Uint8Array, origin: string): z.infer<typeof documentSchema> {
  let text: string;
  try {
    text = gunzipSync(bytes, { maxOutputLength: MAX_BUNDLE_JSON_BYTES }).toString('utf8');
  } catch (error) {
    const tooLarge = (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    throw new BundleInvalidError(origin, tooLarge ? `it expands beyond ${MAX_BUNDLE_JSON_BYTES} bytes` : 'it is not valid gzip (truncated or corrupt)', error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new BundleInvalidError(origin, 'it does not contain valid JSON', error);
  }
  const header = z.object({ format: z.literal(BUNDLE_FORMAT), formatVersion: z.number() }).safeParse(json);
  if (!header.success) throw new BundleInvalidError(origin, 'it is not a stagegate bundle (no "format": "stagegate-bundle")');
  if (header.data.formatVersion !== BUNDLE_FORMAT_VERSION) {
    throw new BundleInvalidError(origin, `format version ${header.data.formatVersion} is not supported (this stagegate reads version ${BUNDLE_FORMAT_VERSION}); use the stagegate version that built it`);
  }
  const parsed = documentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BundleInvalidError(origin, `unexpected structure at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  if (parsed.data.checksumVersion !== CHECKSUM_VERSION) {
    throw new BundleInvalidError(origin, `checksum version ${parsed.data.checksumVersion} is not supported`);
  }
  return parsed.data;
}

/** Rebuilds the migrations from their SQL and checks that the bundle's own claims agree. */
function rebuild(entries: z.infer<typeof migrationSchema>[], origin: string): Migration[] {
  const files: SourceFile[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.id)) throw new BundleInvalidError(origin, `migration id ${entry.id} appears twice`);
    seen.add(entry.id);
    if (entry.file !== `${entry.id}.sql`) throw new BundleInvalidError(origin, `migration ${JSON.stringify(entry.id)} has file ${JSON.stringify(entry.file)}; expected <id>.sql`);
    files.push({ path: entry.file, content: entry.sql });
    if (entry.downSql !== null) files.push({ path: `${entry.id}.down.sql`, content: entry.downSql });
  }
  let migrations: Migration[];
  try {
    migrations = buildCatalog(files);
  } catch (error) {
    if (!(error instanceof MigrationsInvalidError)) throw error;
    const first = error.problems[0];
    throw new BundleInvalidError(origin, `its migrations are invalid (${error.problems.length} problem(s), first: ${first?.file}: ${first?.message})`, error);
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
