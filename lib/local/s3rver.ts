/**
 * S3 over HTTP on this machine (s3rver, a development dependency), for the
 * demo and the tests: the CLI publishes bundles to it and the handler under
 * serverless-offline reads them back.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type S3rverServer = { run(): Promise<AddressInfo>; close(): Promise<void> };

/** s3rver's built-in key pair: it accepts requests signed with it. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface LocalS3 {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** A path-style client with s3rver's credentials, for the caller itself. */
  client: S3Client;
  createBucket(name: string): Promise<void>;
  /** Stops the server and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts s3rver on a free port of 127.0.0.1, storing objects in a temporary
 * folder that is removed on `stop()`, or when this process exits without it.
 *
 * @example
 * const s3 = await startS3();
 * try {
 *   await s3.createBucket('stagegate-local');
 * } finally {
 *   await s3.stop();
 * }
 */
export async function startS3(): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'stagegate-s3-'));
  const removeDirectory = (): void => rmSync(directory, { recursive: true, force: true });
  process.once('exit', removeDirectory);
  const server = new (loadS3rver())({ port: 0, address: '127.0.0.1', silent: true, directory, vhostBuckets: false });
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (error) {
    process.removeListener('exit', removeDirectory);
    removeDirectory();
    throw error;
  }
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: S3RVER_CREDENTIALS });
  let stopped = false;
  return {
    endpoint,
    client,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      client.destroy();
      await server.close();
      process.removeListener('exit', removeDirectory);
      removeDirectory();
    },
  };
}

function loadS3rver(): new (options: Record<string, unknown>) => S3rverServer {
  // s3rver ships no types, and the part used here is small. Loaded on use, so
  // that importing this module never needs the development dependency.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('s3rver') as new (options: Record<string, unknown>) => S3rverServer;
}
