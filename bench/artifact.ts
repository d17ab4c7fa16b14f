/**
 * The migrate function's deployable artifact, packaged by the real
 * framework (`serverless package`, offline, no AWS credentials), and the
 * cold-start part that is ours: the time `require` of its handler takes in
 * a fresh Node process, as Lambda's runtime loads it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { quietFrameworkEnv } from '../lib/local/serverless-offline';
import { ROOT } from './contenders';
import { timeProcess } from './run-process';

const run = promisify(execFile);

export interface Artifact {
  /** Size of migrate.zip, in bytes. */
  zipBytes: number;
  /** Size of the handler file inside it, in bytes. */
  unpackedBytes: number;
  /** The handler file, extracted, for the cold-start and memory measurements. */
  handlerFile: string;
  remove(): Promise<void>;
}

/**
 * Runs `serverless package --stage dev` into a temporary folder and extracts `handlers/migrate.js`.
 *
 * @example
 * const artifact = await packageMigrateFunction();
 */
export async function packageMigrateFunction(): Promise<Artifact> {
  const dir = await mkdtemp(join(tmpdir(), 'stagegate-bench-package-'));
  const nowhere = join(tmpdir(), 'stagegate-no-aws-config');
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  const env = { ...inherited, AWS_CONFIG_FILE: nowhere, AWS_SHARED_CREDENTIALS_FILE: nowhere, AWS_EC2_METADATA_DISABLED: 'true', ...quietFrameworkEnv(join('.esbuild', 'bench')) };
  try {
    await run(process.execPath, [join(ROOT, 'node_modules/serverless/bin/serverless.js'), 'package', '--stage', 'dev', '--package', dir], { cwd: ROOT, env, maxBuffer: 16 << 20 });
    const zip = await readFile(join(dir, 'migrate.zip'));
    const handler = extract(zip, 'handlers/migrate.js');
    const handlerFile = join(dir, 'migrate.js');
    await writeFile(handlerFile, handler);
    return { zipBytes: zip.length, unpackedBytes: handler.length, handlerFile, remove: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  } finally {
    await rm(join(ROOT, '.esbuild', 'bench'), { recursive: true, force: true });
  }
}

/** One file of a zip, found through its central directory. */
function extract(zip: Buffer, name: string): Buffer {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error('not a zip file');
  let entry = zip.readUInt32LE(end + 16);
  for (let count = zip.readUInt16LE(end + 10); count > 0; count -= 1) {
    const method = zip.readUInt16LE(entry + 10);
    const size = zip.readUInt32LE(entry + 20);
    const nameLength = zip.readUInt16LE(entry + 28);
    const skip = nameLength + zip.readUInt16LE(entry + 30) + zip.readUInt16LE(entry + 32);
    const local = zip.readUInt32LE(entry + 42);
    if (zip.toString('utf8', entry + 46, entry + 46 + nameLength) === name) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      return method === 0 ? data : inflateRawSync(data);
    }
    entry += 46 + skip;
  }
  throw new Error(`${name} is not in the zip`);
}

/** Module initialisation of the handler: `require` in a fresh process, timed inside it. */
export async function handlerInitMs(handlerFile: string): Promise<number> {
  const script = `const t = performance.now(); require(${JSON.stringify(handlerFile)}); process.stdout.write(String(performance.now() - t));`;
  const { stdout } = await timeProcess({ file: process.execPath, args: ['-e', script] });
  return Number(stdout);
}
