/** Finding and reading the log file and its rotated predecessors, as the log file writer names them. */
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { systemClock, type Clock } from '../clock/clock.js';
import { acquireLock, type LockTakeover } from '../fs/lock-file.js';
import { rotationLockPath, rotationLockStaleMs, rotationNumber } from '../log/rotating-file.js';
import { errorCode } from '../errors.js';

/** The log file and its rotated files that exist, oldest first: `sso-sync.log.4`, …, `.1`, `sso-sync.log`. */
export async function listLogFiles(file: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(path.dirname(file));
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
  return names
    .map((name) => ({ name, n: rotationNumber(file, name) }))
    .filter((f): f is { name: string; n: number } => f.n !== undefined)
    .sort((a, b) => b.n - a.n)
    .map((f) => path.join(path.dirname(file), f.name));
}

/** One file's content, with its path. */
export interface LogFileText {
  file: string;
  text: string;
}

/** What reading the log files waits by, and whom it tells of a rotation lock it took over. */
export interface ReadLogOptions {
  clock?: Clock;
  /** Told of a rotation lock taken over from a process judged gone (one killed while rotating). */
  onTakeover?: (takeover: LockTakeover) => void;
}

interface Opened {
  file: string;
  handle: FileHandle;
  id: string;
}

/**
 * Reads the log file and its rotated files, oldest first, while other sso-sync processes may be writing and
 * rotating them. The files are opened under the rotation lock, so no rotation renames them meanwhile (an open
 * file keeps its content whatever it is renamed to afterwards, and lines appended later are read too). A lock left
 * by a process killed while rotating is taken over (and reported to `onTakeover`). Where the lock cannot be had (a
 * read-only directory, a holder stopped while rotating) the names are checked after opening instead, and listed
 * again when a rotation moved them; a file opened twice is read once.
 */
export async function readLogFiles(file: string, options: ReadLogOptions = {}): Promise<LogFileText[]> {
  const clock = options.clock ?? systemClock;
  const release = await rotationLock(file, clock, options.onTakeover);
  let opened: Opened[];
  try {
    opened = await openUnmoved(file, clock);
  } finally {
    await release?.().catch(() => undefined);
  }
  try {
    const seen = new Set<string>();
    const texts: LogFileText[] = [];
    for (const o of opened) {
      if (seen.has(o.id)) continue;
      seen.add(o.id);
      texts.push({ file: o.file, text: await o.handle.readFile('utf8') });
    }
    return texts;
  } finally {
    await closeAll(opened);
  }
}

/** Opens every file, again (up to five times) while a rotation moves names meanwhile; the last try stands. */
async function openUnmoved(file: string, clock: Clock): Promise<Opened[]> {
  for (let attempt = 1; ; attempt++) {
    const { files, complete } = await openAll(file);
    if (complete || attempt === 5) return files;
    await closeAll(files);
    await clock.sleep(10 * attempt);
  }
}

/** Opens every file listed; `complete` is false when a rotation moved a name meanwhile. */
async function openAll(file: string): Promise<{ files: Opened[]; complete: boolean }> {
  const files: Opened[] = [];
  let complete = true;
  try {
    const names = await listLogFiles(file);
    for (const name of names) {
      let handle: FileHandle;
      try {
        handle = await open(name, 'r');
      } catch (error) {
        if (!isMissing(error)) throw error;
        complete = false; // renamed or removed since the listing
        continue;
      }
      const entry = { file: name, handle, id: '' };
      files.push(entry); // closed with the others if what follows fails
      const s = await handle.stat({ bigint: true });
      entry.id = `${s.dev}:${s.ino}`;
    }
    const again = await listLogFiles(file);
    if (again.join('\n') !== names.join('\n')) complete = false;
    for (const o of files) if ((await idOf(o.file)) !== o.id) complete = false;
    return { files, complete };
  } catch (error) {
    await closeAll(files);
    throw error;
  }
}

/** Takes the rotation lock, waiting a little for a rotation under way; undefined when it cannot be had. */
async function rotationLock(
  file: string,
  clock: Clock,
  onTakeover: ((takeover: LockTakeover) => void) | undefined,
): Promise<(() => Promise<void>) | undefined> {
  try {
    return await acquireLock(rotationLockPath(file), {
      // Waits of 5 ms doubling up to 100 ms: about half a second in all, for a rotation that takes milliseconds.
      attempts: 10,
      minDelayMs: 5,
      maxDelayMs: 100,
      staleMs: rotationLockStaleMs,
      clock,
      ...(onTakeover ? { onTakeover } : {}),
    });
  } catch {
    return undefined;
  }
}

async function closeAll(files: readonly Opened[]): Promise<void> {
  await Promise.all(files.map((o) => o.handle.close().catch(() => undefined)));
}

async function idOf(file: string): Promise<string | undefined> {
  try {
    const s = await stat(file, { bigint: true });
    return `${s.dev}:${s.ino}`;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
