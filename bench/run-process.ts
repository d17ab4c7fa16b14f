import { spawn } from 'node:child_process';

export interface ProcessRun {
  /** Wall time from spawn to exit, in ms. */
  ms: number;
  stdout: string;
}

/** Kept of each stream: enough for an error message, bounded for 10,000 progress lines. */
const TAIL_CHARS = 4_000;

/** A command line to time, and the environment it sees (nothing else of ours leaks in). */
export interface Command {
  file: string;
  args: string[];
  env?: Record<string, string>;
}

/** The environment every contender starts from: a PATH and a HOME, no DATABASE_URL or colour. */
export function baseEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', LANG: 'C.UTF-8' };
}

/**
 * Runs a command to its end and returns its wall time. Output is collected
 * (stdout whole, stderr's tail) the way a terminal or CI log would take it.
 * Throws, with the tail of the output, when it exits non-zero.
 *
 * @example
 * const { ms } = await timeProcess({ file: '/usr/bin/psql', args: ['-c', 'select 1'] });
 */
export function timeProcess(command: Command): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command.file, command.args, { env: command.env ?? baseEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-TAIL_CHARS);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = performance.now() - started;
      const out = Buffer.concat(stdout).toString('utf8');
      if (code === 0) return resolve({ ms, stdout: out });
      const shown = [command.file, ...command.args.map((a) => a.replace(/\/\/[^@]*@/, '//…@'))].join(' ');
      reject(new Error(`${shown} exited with ${code ?? signal}\n${out.slice(-TAIL_CHARS)}\n${stderr}`));
    });
  });
}
