/** Finding and reading the log file and its rotated predecessors, as the log file writer names them. */
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { rotationLockPath, rotationLockStaleMs, rotationNumber } from '../log/rotating-file.js';
import { errorCode } from '../errors.js';

/** The log file and its rotated files that exist, oldest first: `sso-sync.log.4`, …, `sso-sync.log.1`, `sso-sync.log`. */
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

interface Opened {
  file: string;
  handle: FileHandle;
  id: string;
}

/**
 * Reads the log file and its rotated files, oldest first, while other sso-sync processes may be writing and
 * rotating them. The files are opened under the rotation lock, so no rotation renames them meanwhile (an open
 * file keeps its content whatever it is renamed to afterwards, and lines appended later are read too). Where the
 * lock cannot be had (a read-only directory, a lock left by a crash) the names are checked after opening instead,
 * and listed again when a rotation moved them; a file opened twice is read once.
 */
export async function readLogFiles(file: string): Promise<LogFileText[]> {
  const release = await rotationLock(file);
  let opened: Opened[] = [];
  try {
    for (let attempt = 1; ; attempt++) {
      const { files, complete } = await openAll(file);
      opened = files;
      if (complete || attempt === 5) break;
      await closeAll(opened);
      opened = [];
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
    }
  } catch (error) {
    await closeAll(opened);
    throw error;
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
      files.push({ file: name, handle, id: '' });
      const s = await handle.stat({ bigint: true });
      files.at(-1)!.id = `${s.dev}:${s.ino}`;
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
async function rotationLock(file: string): Promise<(() => Promise<void>) | undefined> {
  try {
    return await lockfile.lock(file, {
      realpath: false,
      lockfilePath: rotationLockPath(file),
      stale: rotationLockStaleMs,
      retries: { retries: 10, minTimeout: 5, maxTimeout: 100 },
      onCompromised: () => undefined,
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
