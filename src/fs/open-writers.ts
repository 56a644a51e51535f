/**
 * Which processes have a file open for writing, from Linux's /proc: a program that truncated the AWS config and
 * paused before writing the rest (`{ echo …; sleep 1; echo …; } > ~/.aws/config`) still holds it, and a write that
 * replaced the file meanwhile would lose what it writes after the pause. Only processes whose /proc entries this
 * process may read are seen (its own user's, or every one for root); elsewhere than Linux nothing is seen.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A process holding the file open for writing. */
export interface OpenWriter {
  pid: number;
  /** Its command name, from /proc/PID/comm. */
  command: string;
}

/** Finds the writers of a file; the default reads /proc. */
export type FindWriters = (realPath: string) => Promise<OpenWriter[]>;

/** Whether open writers can be seen on this system at all. */
export const writersVisible = process.platform === 'linux';

/** O_ACCMODE's write bits in /proc/PID/fdinfo's octal `flags:` (1 O_WRONLY, 2 O_RDWR). */
const writeAccess = (flags: string): boolean => (Number.parseInt(flags, 8) & 3) !== 0;

/** Reads a /proc entry, or undefined when it is gone or not this process's to read. */
function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** Whether one process has `realPath` open for writing (false when its /proc entry cannot be read). */
function writesTo(pid: string, realPath: string): boolean {
  for (const fd of attempt(() => readdirSync(`/proc/${pid}/fd`)) ?? []) {
    if (attempt(() => readlinkSync(`/proc/${pid}/fd/${fd}`)) !== realPath) continue;
    const info = attempt(() => readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8')) ?? '';
    const flags = /^flags:\s*([0-7]+)/m.exec(info)?.[1];
    if (flags !== undefined && writeAccess(flags)) return true;
  }
  return false;
}

/**
 * The processes other than this one that hold `realPath` open for writing, from /proc (Linux only). Read without
 * yielding (a few milliseconds for a few hundred processes, measured here): the lists change by the microsecond, and
 * thousands of awaited calls would only make the answer older.
 */
export const openWriters: FindWriters = (realPath) => {
  if (!writersVisible) return Promise.resolve([]);
  const pids = (attempt(() => readdirSync('/proc')) ?? []).filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  const writers: OpenWriter[] = [];
  for (const pid of pids) {
    if (!writesTo(pid, realPath)) continue;
    const command = (attempt(() => readFileSync(`/proc/${pid}/comm`, 'utf8')) ?? '?').trim();
    writers.push({ pid: Number(pid), command });
  }
  return Promise.resolve(writers);
};

/** Writers as a person reads them: `pid 123 (bash), pid 456 (python3)`. */
export function describeWriters(writers: readonly OpenWriter[]): string {
  return writers.map((w) => `pid ${w.pid} (${w.command})`).join(', ');
}
