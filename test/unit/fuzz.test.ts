/**
 * Property tests over the two parsers that take untrusted input: the bundle
 * decoder (bytes from S3 or a file) and the invocation event parser.
 * Thousands of random inputs; each must end, quickly, with a value or a
 * stagegate error with a stable code and a short message: never a crash,
 * never a hang.
 */
import fc from 'fast-check';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parseEvent } from '../../lib/adapters/lambda/event';
import { buildCatalog } from '../../lib/core/catalog';
import { checksumOf, sha256Hex } from '../../lib/core/checksum';
import { decodeBundle, encodeBundle } from '../../lib/core/bundle-format';
import { encodeBundleV1 } from '../support/bundle-v1';
import { MigrationRunnerError } from '../../lib/core/errors';
import { isMigrationId, type Migration } from '../../lib/core/migration';

/**
 * Longest time one parse may take, in ms: far above the normal (well under
 * 10 ms), far below a hang, and loose enough for a loaded 2-core CI machine.
 */
const MAX_MS = 5_000;
const MAX_MESSAGE_CHARS = 2_000;

/** Runs `parse`, and returns its value or the code of the stagegate error it threw; anything else fails the property. */
function outcomeOf<T>(parse: () => T): { value?: T; code?: string } {
  const started = performance.now();
  try {
    return { value: parse() };
  } catch (error) {
    if (!(error instanceof MigrationRunnerError)) throw new Error(`not a stagegate error: ${String(error)}`, { cause: error });
    expect(error.message.length).toBeLessThan(MAX_MESSAGE_CHARS);
    return { code: error.code };
  } finally {
    expect(performance.now() - started).toBeLessThan(MAX_MS);
  }
}

const BUNDLE_CODES = ['BUNDLE_INVALID', 'BUNDLE_INTEGRITY'];

/** What a decoded, unpinned bundle must be: every claim recomputed from its SQL, nothing PostgreSQL cannot take. */
function expectSound(migrations: readonly Migration[]): void {
  for (const m of migrations) {
    expect([isMigrationId(m.id), m.file, m.checksum, m.sql.includes('\u0000')]).toEqual([true, `${m.id}.sql`, checksumOf(m.sql), false]);
  }
}

/** Ids as a bundle might carry them: mostly well-formed, sometimes hostile. */
const idArb = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('org', 'member', 'a'), fc.integer({ min: 1, max: 12 }), fc.stringMatching(/^[a-z0-9_]{1,8}$/)).map(([app, n, name]) => `${app}/${String(n).padStart(4, '0')}_${name}`) },
  { weight: 1, arbitrary: fc.constantFrom('../org/0001_x', 'org/../0001_x', 'org/sub/0001_x', 'org/0001_x\u0000', "org/0001_x'; drop table t; --", '__proto__', 'constructor', '', 'ORG/0001_X') },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);

/** SQL with and without directives, some of them hostile. */
const sqlArb = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.tuple(
    fc.constantFrom('', '-- stagegate:no-transaction\n', '-- stagegate:depends-on org/0001_x\n', '-- stagegate:replaces org/0001_x org/0002_y\n', '-- stagegate:allow rule why\n', '-- stagegate:nope\n', '-- stagegate:depends-on ../x\n'),
    fc.constantFrom('SELECT 1;', 'CREATE TABLE t (id int);', "SELECT 'a;b';", 'SELECT 1;\u0000DROP TABLE t;', '$$ unterminated'),
  ).map(([head, body]) => head + body),
);

const entryArb = fc
  .record({ id: idArb, sql: sqlArb, consistent: fc.boolean(), extra: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }), { nil: undefined }) })
  .map(({ id, sql, consistent, extra }) => ({
    id,
    file: consistent ? `${id}.sql` : `${id}.SQL`,
    checksum: consistent ? checksumOf(sql) : 'v1:0',
    directives: { dependsOn: [], replaces: [], noTransaction: false, irreversible: false, allow: [] },
    dependencies: consistent ? [] : ['org/0001_x'],
    sql,
    downSql: null,
    ...extra,
  }));

/** Documents shaped like bundles: the right header most of the time, random entries. */
const documentArb = fc.record({
  format: fc.oneof({ weight: 5, arbitrary: fc.constant('stagegate-bundle') }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) }),
  formatVersion: fc.oneof({ weight: 5, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.string()) }),
  checksumVersion: fc.oneof({ weight: 5, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer() }),
  migrations: fc.array(entryArb, { maxLength: 6 }),
});

/** Valid bundles, in format version 2 or 1: a few migrations per app with consecutive numbers. */
const validBundleArb = fc
  .tuple(fc.uniqueArray(fc.tuple(fc.constantFrom('org', 'member'), fc.integer({ min: 1, max: 9 })), { minLength: 1, maxLength: 6, selector: ([app, n]) => `${app}${n}` }), fc.boolean())
  .map(([pairs, v1]) => (v1 ? encodeBundleV1 : encodeBundle)(buildCatalog(pairs.map(([app, n]) => ({ path: `${app}/${String(n).padStart(4, '0')}_m.sql`, content: `CREATE TABLE ${app}_${n} (id int);` })))));

describe('Property: decodeBundle never crashes or hangs', () => {
  it('on random bytes, raw and gzip\'d', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), (bytes, zipped) => {
        const { code } = outcomeOf(() => decodeBundle(zipped ? gzipSync(bytes) : bytes, 'fuzz.json.gz'));
        expect(BUNDLE_CODES).toContain(code);
      }),
      { numRuns: 2_000 },
    );
  });

  it('on random gzip\'d JSON shaped like bundles, pinned by their id or not, and what it accepts unpinned is sound', () => {
    fc.assert(
      fc.property(documentArb, fc.boolean(), (document, pinned) => {
        const bytes = gzipSync(JSON.stringify(document));
        // A pinned bundle's content is decoded on first use of `migrations`: read it inside.
        const { value, code } = outcomeOf(() => {
          const bundle = decodeBundle(bytes, 'fuzz.json.gz', pinned ? sha256Hex(bytes) : undefined);
          void bundle.migrations;
          return bundle;
        });
        if (code !== undefined) return expect(code).toBe('BUNDLE_INVALID');
        // A pinned bundle's claims are checked by the engine for what it runs; its ids and files are checked here.
        if (pinned) for (const m of value?.migrations ?? []) expect([isMigrationId(m.id), m.file]).toEqual([true, `${m.id}.sql`]);
        else expectSound(value?.migrations ?? []);
      }),
      { numRuns: 1_500 },
    );
  });

  it('on mutated valid bundles: flipped, cut or extended bytes, and edited JSON', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('append' as const), tail: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
      fc.record({ kind: fc.constant('edit' as const), path: fc.array(fc.nat({ max: 8 }), { minLength: 1, maxLength: 4 }), value: fc.jsonValue({ maxDepth: 2 }) }),
    );
    fc.assert(
      fc.property(validBundleArb, mutation, fc.boolean(), ({ bytes, id }, change, byId) => {
        const mutated = mutate(bytes, change);
        const { value, code } = outcomeOf(() => decodeBundle(mutated, 'fuzz.json.gz', byId ? id : undefined));
        if (code !== undefined) return expect(BUNDLE_CODES).toContain(code);
        // Accepted while pinned by its id: only the very same bundle can be. Unpinned, an edit may make another valid bundle.
        if (byId) expect(value?.migrations).toEqual(decodeBundle(bytes, 'original').migrations);
        else expectSound(value?.migrations ?? []);
      }),
      { numRuns: 1_500 },
    );
  });
});

type Mutation =
  | { kind: 'flip'; at: number; bits: number }
  | { kind: 'cut'; at: number }
  | { kind: 'append'; tail: Uint8Array }
  | { kind: 'edit'; path: number[]; value: unknown };

function mutate(bytes: Buffer, change: Mutation): Buffer {
  const copy = Buffer.from(bytes);
  if (change.kind === 'flip') {
    const at = change.at % copy.length;
    copy[at] = (copy[at] as number) ^ change.bits;
    return copy;
  }
  if (change.kind === 'cut') return copy.subarray(0, change.at % copy.length);
  if (change.kind === 'append') return Buffer.concat([copy, change.tail]);
  // Walk into the document (version 2: its header line) by index (keys in order) and replace what is there.
  const content = gunzipSync(copy);
  const lineEnd = content.indexOf(10);
  const document = JSON.parse(content.toString('utf8', 0, lineEnd < 0 ? content.length : lineEnd)) as unknown;
  let node = document as Record<string, unknown>;
  for (const [depth, step] of change.path.entries()) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[step % keys.length] as string;
    const child = node[key];
    if (depth === change.path.length - 1 || child === null || typeof child !== 'object') {
      node[key] = change.value;
      break;
    }
    node = child as Record<string, unknown>;
  }
  const rest = lineEnd < 0 ? Buffer.alloc(0) : content.subarray(lineEnd);
  return gzipSync(Buffer.concat([Buffer.from(JSON.stringify(document), 'utf8'), rest]));
}

describe('Property: parseEvent never crashes or hangs', () => {
  const SHA = 'a'.repeat(64);
  const bundleArb = fc.record(
    {
      bucket: fc.oneof(fc.constant('deploys'), fc.string({ maxLength: 70 }), fc.jsonValue({ maxDepth: 1 })),
      key: fc.oneof(fc.constant(`stagegate/bundles/${SHA}.json.gz`), fc.string({ maxLength: 1100 }), fc.jsonValue({ maxDepth: 1 })),
      sha256: fc.oneof(fc.constant(SHA), fc.stringMatching(/^[0-9a-fA-F]{60,68}$/), fc.jsonValue({ maxDepth: 1 })),
    },
    { requiredKeys: [] },
  );
  const eventArb = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.record(
      {
        action: fc.oneof(fc.constantFrom('plan', 'migrate', 'status'), fc.jsonValue({ maxDepth: 1 })),
        bundle: fc.oneof({ weight: 4, arbitrary: bundleArb }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }),
        target: fc.oneof(fc.constant('org/0001_x'), fc.string({ maxLength: 300 })),
        __proto__: fc.jsonValue({ maxDepth: 1 }),
        constructor: fc.jsonValue({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    ),
  );

  it('on random JSON values and events shaped like the real one', () => {
    fc.assert(
      fc.property(eventArb, (event) => {
        const { value, code } = outcomeOf(() => parseEvent(JSON.parse(JSON.stringify(event ?? null))));
        if (code !== undefined) return expect(code).toBe('EVENT_INVALID');
        const keys = Object.keys(value ?? {});
        expect(keys).toEqual(expect.arrayContaining(['action', 'bundle']));
        expect(keys.filter((k) => !['action', 'bundle', 'target', 'rehearse'].includes(k))).toEqual([]);
        expect(value !== undefined && 'bundle' in value ? value.bundle.sha256 : undefined).toMatch(/^[0-9a-f]{64}$/);
      }),
      { numRuns: 3_000 },
    );
  });
});
