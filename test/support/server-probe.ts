import { createConnection } from 'node:net';

/**
 * Whether something accepts TCP connections on 127.0.0.1:`port` (within 2 s).
 *
 * @example
 * expect(await accepts(port)).toBe(false); // the server is gone
 */
export function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const finish = (answer: boolean): void => {
      socket.destroy();
      done(answer);
    };
    socket.once('connect', () => finish(true)).once('error', () => finish(false));
    socket.setTimeout(2000, () => finish(false));
  });
}

/**
 * Whether a process with this pid exists (signal 0 checks without sending).
 *
 * @example
 * expect(isAlive(postmasterPid)).toBe(false);
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
