import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

/** What the numbers were measured on. */
export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  psql: string;
}

/** The machine, as reported with the results. */
export function describeMachine(): Machine {
  let psql = 'unknown';
  try {
    psql = execFileSync('/usr/bin/psql', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // Reported as unknown; the psql contenders then fail with their own message.
  }
  const list = cpus();
  return { cpus: list.length, cpuModel: list[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, psql };
}
