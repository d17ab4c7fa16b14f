/**
 * W4, in a fresh process like a cold function: bundle load + verify + plan,
 * through the engine's own `runMigrations` (action `plan`), with the bundle
 * bytes already in memory and a ledger that answers without a database.
 * Usage: node inprocess-plan.cjs <bundle file> <fresh|applied|floor|floor-v1> <N>
 * Prints {"totalMs", "warmMs", "steps"} as JSON: the first call, and the median of the next five.
 */
import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeBundle } from '../lib/core/bundle-format';
import { checksumOf, sha256Hex } from '../lib/core/checksum';
import type { AppliedMigration, Migration } from '../lib/core/migration';
import type { LedgerSnapshot, MigrationDatabase } from '../lib/ports';
import { runMigrations } from '../lib/run';
import { APP, migrationSql } from './migration-set';

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** Every migration of the bundle as applied: made from the generator, not from the bundle, so nothing is decoded before the clock starts. */
function appliedLedger(size: number): LedgerSnapshot {
  const rows: AppliedMigration[] = [];
  for (let i = 1; i <= size; i += 1) {
    const name = `${String(i).padStart(5, '0')}_t${String(i).padStart(5, '0')}`;
    rows.push({ id: `${APP}/${name}`, checksum: checksumOf(migrationSql(i)), state: 'applied', appliedAt: '2026-01-01T00:00:00.000Z', durationMs: 1, bundleId: 'x', appliedBy: 'bench', method: 'executed' });
  }
  return { exists: true, rows };
}

/**
 * The floor of any load of a bundle in the current format (version 2) that
 * verifies what it runs, for reference: the sha256 of the file (its id),
 * inflate, parse the header line, decode the SQL text, one sha256 of each
 * migration's SQL; no shape check, no ids, no plan. No loader of this
 * format can verify 10,000 pending migrations in less.
 */
function floorOnce(bytes: Buffer): { totalMs: number; steps: number } {
  const started = performance.now();
  sha256Hex(bytes);
  const content = gunzipSync(bytes);
  const lineEnd = content.indexOf(10);
  const { sqlLengths } = JSON.parse(content.toString('utf8', 0, lineEnd)) as { sqlLengths: number[] };
  const text = content.toString('utf8', lineEnd + 1);
  let offset = 0;
  for (const length of sqlLengths) {
    hash('sha256', text.slice(offset, offset + length), 'hex');
    offset += length;
  }
  return { totalMs: performance.now() - started, steps: sqlLengths.length };
}

/**
 * The same floor for format version 1 (one JSON document with an entry per
 * migration), on the same migrations: inflate, `JSON.parse`, one sha256 of
 * each SQL (as before, without the file's hash). Built before the clock
 * starts, to show what version 2 saves.
 */
function floorV1(bytes: Buffer): () => { totalMs: number; steps: number } {
  const v1 = encodeV1(decodeBundle(bytes, 'floor').migrations);
  return () => {
    const started = performance.now();
    const { migrations } = JSON.parse(gunzipSync(v1).toString('utf8')) as { migrations: { sql: string }[] };
    for (const m of migrations) hash('sha256', m.sql, 'hex');
    return { totalMs: performance.now() - started, steps: migrations.length };
  };
}

function encodeV1(migrations: readonly Migration[]): Buffer {
  const entries = migrations.map((m) => ({ id: m.id, file: m.file, checksum: m.checksum, directives: m.directives, dependencies: m.dependencies, sql: m.sql, downSql: m.downSql }));
  return gzipSync(JSON.stringify({ format: 'stagegate-bundle', formatVersion: 1, checksumVersion: 1, migrations: entries }), { level: 9 });
}

async function main(file: string, mode: string, size: number): Promise<void> {
  const bytes = readFileSync(file);
  const ledger = mode === 'applied' ? appliedLedger(size) : { exists: false, rows: [] };
  const db: MigrationDatabase = {
    withReader: (fn) => fn({ readLedger: async () => ledger, readDrift: async () => ({ ledgerSchema: 'stagegate', baseline: false, stale: false, differences: [] }), readLastRun: async () => null }),
    withLock: () => Promise.reject(new Error('the in-process measurement writes nothing')),
  };
  const settings = { lockWaitMs: 0, lockTimeoutMs: 0, statementTimeoutMs: 0 };
  const v1 = mode === 'floor-v1' ? floorV1(bytes) : null;
  const once = async (): Promise<{ totalMs: number; steps: number }> => {
    if (mode === 'floor') return floorOnce(bytes);
    if (v1) return v1();
    const started = performance.now();
    const source = { load: async () => decodeBundle(bytes, file, /^([0-9a-f]{64})\.json\.gz$/.exec(basename(file))?.[1]) };
    const result = await runMigrations({ source, db, logger: silent, clock: { now: () => Date.now() } }, { action: 'plan', actor: 'bench' }, settings);
    return { totalMs: performance.now() - started, steps: result.pending.length };
  };
  // The first call is the cold one a fresh function makes; the next ones show the same work once compiled.
  const cold = await once();
  const warm: number[] = [];
  for (let i = 0; i < WARM_CALLS; i += 1) warm.push((await once()).totalMs);
  warm.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({ totalMs: cold.totalMs, warmMs: warm[WARM_CALLS >> 1], steps: cold.steps }));
}

const WARM_CALLS = 5;

main(process.argv[2] ?? '', process.argv[3] ?? 'fresh', Number(process.argv[4])).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
