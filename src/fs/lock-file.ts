/**
 * A lock between processes: a small file holding the holder's pid, claimed with link() (which fails when the file
 * exists). It keeps two sso-sync processes from writing the AWS config at once, and two daemons from running.
 * A holder killed while it holds the lock leaves the file behind; the next one sees its pid is gone and takes the
 * lock over at once, instead of waiting for it to go stale. A write lock older than a minute is taken over too: a
 * write takes milliseconds, so its pid was reused by something else (the minute counts from when the lock was
 * taken). Takeovers take turns (see takeOver), so two processes never both hold the lock.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, readdir, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errorCode } from '../errors.js';

/** How long to keep trying while a live process holds the lock, and how a holder is judged. */
export interface LockOptions {
  attempts: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** What the lock file holds: JSON with this process's `pid`. By default the pid, the time and a random id. */
  content?: string;
  /** Whether the process with this pid still holds its lock (by default: whether it exists at all). */
  alive?: (pid: number) => boolean;
  /** A lock whose times are older than this is taken over whatever its pid (default a minute). */
  staleMs?: number;
}

/** How a lock file's holder is judged. */
type Judging = Required<Pick<LockOptions, 'alive' | 'staleMs'>>;

/** True while a process with this pid exists (EPERM means it exists but is someone else's). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

/** What a lock file holds: its text, null when it cannot be read, undefined when it does not exist. */
async function lockText(file: string): Promise<string | null | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    return errorCode(error) === 'ENOENT' ? undefined : null;
  }
}

/**
 * Judges a lock file: `live` while its holder runs, `vanished` when it is gone meanwhile (try again at once), or
 * `gone` with the text judged when its holder is dead, its pid reused (older than a minute), or it is damaged.
 */
async function judge(
  file: string,
  judging: Judging,
): Promise<{ state: 'live' | 'vanished' } | { state: 'gone'; text: string | null }> {
  const text = await lockText(file);
  if (text === undefined) return { state: 'vanished' };
  if (text === null) return { state: 'gone', text };
  try {
    const info = await stat(file);
    const pid = Number((JSON.parse(text) as { pid?: unknown }).pid);
    if (Date.now() - info.mtimeMs > judging.staleMs || !Number.isInteger(pid) || pid <= 0 || !judging.alive(pid))
      return { state: 'gone', text };
    return { state: 'live' };
  } catch (error) {
    return errorCode(error) === 'ENOENT' ? { state: 'vanished' } : { state: 'gone', text };
  }
}

/**
 * The gate for taking over one file judged gone: named after that file and the text judged, so that each dead
 * lock (or dead gate) has a gate of its own, which exactly one writer's link() can create. Exported for tests.
 */
export function gateFor(lockPath: string, target: string, judged: string | null): string {
  return `${lockPath}.takeover.${createHash('sha256')
    .update(`${target}\0${judged ?? '\0unreadable'}`)
    .digest('hex')
    .slice(0, 16)}`;
}

/**
 * Removes `target` (the lock, or a gate) judged gone, if it still holds the text judged. Writers that judged the
 * same file take turns through its gate: only the one whose link() created the gate re-reads and removes it, so no
 * writer removes a lock another has just taken in its place. Returns false while another writer is in the gate.
 * A gate left by a writer killed in its few milliseconds there is taken over the same way, one level down. A
 * target that cannot be removed (a directory, no permission) is an error, not a reason to try again at once.
 */
async function takeOver(
  lockPath: string,
  claim: string,
  target: string,
  judged: string | null,
  judging: Judging,
): Promise<boolean> {
  const gate = gateFor(lockPath, target, judged);
  if (!(await claimAs(claim, gate))) {
    const holder = await judge(gate, judging);
    // Each level down needs a gate file that exists: the files present bound the depth.
    if (holder.state === 'gone') await takeOver(lockPath, claim, gate, holder.text, judging);
    return false;
  }
  try {
    if ((await lockText(target)) === judged)
      await unlink(target).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    return true;
  } finally {
    await unlink(gate).catch(() => undefined);
  }
}

/**
 * Links the claim file at `file` (the lock, or a gate); false when `file` exists. The claim's times become the
 * file's: fresh, so that a new lock or gate is never judged stale, even for the moment after link() (its holder
 * may have waited, or been stopped, a long time before it got here).
 */
async function claimAs(claim: string, file: string): Promise<boolean> {
  const now = new Date();
  await utimes(claim, now, now).catch(() => undefined);
  try {
    await link(claim, file);
    return true;
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
    return false;
  }
}

/**
 * Removes what writers killed on the way left beside the lock: claim files (`<lock>.<pid>.<random>`) of dead
 * pids, and gates (`<lock>.takeover.<hash>`) of writers killed inside them, through their own gates.
 */
async function removeLeftovers(lockPath: string, claim: string, judging: Judging): Promise<void> {
  const dir = path.dirname(lockPath);
  const prefix = `${path.basename(lockPath)}.`;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(prefix)) continue;
    const file = path.join(dir, name);
    const pid = Number(/^(\d+)\.[0-9a-f]+$/.exec(name.slice(prefix.length))?.[1]);
    if (Number.isInteger(pid) && pid > 0 && !processAlive(pid)) await unlink(file).catch(() => undefined);
    if (!name.startsWith(`${prefix}takeover.`)) continue;
    const holder = await judge(file, judging);
    if (holder.state === 'gone') await takeOver(lockPath, claim, file, holder.text, judging).catch(() => false);
  }
}

/** Takes the lock; resolves with its release, or rejects with code ELOCKED when a live holder keeps it. */
export async function acquireLock(lockPath: string, options: LockOptions): Promise<() => Promise<void>> {
  const mine =
    options.content ??
    JSON.stringify({ pid: process.pid, at: new Date().toISOString(), id: randomBytes(6).toString('hex') });
  const judging: Judging = { alive: options.alive ?? processAlive, staleMs: options.staleMs ?? 60_000 };
  const temp = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(temp, mine, { mode: 0o600 });
    for (let attempt = 0; ; attempt++) {
      if (await claimAs(temp, lockPath)) {
        await removeLeftovers(lockPath, temp, judging);
        return async () => {
          if ((await lockText(lockPath)) === mine) await unlink(lockPath).catch(() => undefined);
        };
      }
      const holder = await judge(lockPath, judging);
      if (holder.state === 'vanished') continue;
      if (holder.state === 'gone' && (await takeOver(lockPath, temp, lockPath, holder.text, judging))) continue;
      if (attempt >= options.attempts)
        throw Object.assign(new Error(`${lockPath} is held by another sso-sync`), { code: 'ELOCKED' });
      await new Promise((r) => setTimeout(r, Math.min(options.maxDelayMs, options.minDelayMs * 2 ** attempt)));
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}
