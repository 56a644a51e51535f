/**
 * The lock that keeps two sso-sync processes from writing the AWS config at once: a small file holding the
 * writer's pid, claimed with link() (which fails when the file exists). A writer killed while it holds the lock
 * leaves the file behind; the next writer sees its pid is gone and takes the lock over at once, instead of
 * waiting for it to go stale. A lock older than a minute is taken over too: a write takes milliseconds, so its
 * pid was reused by something else. Takeovers take turns (see takeOver), so two writers never both hold the lock.
 */
import { randomBytes } from 'node:crypto';
import { link, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** How long to keep trying while a live process holds the lock. */
export interface LockWait {
  attempts: number;
  minDelayMs: number;
  maxDelayMs: number;
}

const staleMs = 60_000;

/** True while a process with this pid exists (EPERM means it exists but is someone else's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What a lock file holds: its text, null when it cannot be read, undefined when it does not exist. */
async function lockText(file: string): Promise<string | null | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : null;
  }
}

/**
 * Judges a lock file: `live` while its holder runs, `vanished` when it is gone meanwhile (try again at once), or
 * `gone` with the text judged when its holder is dead, its pid reused (older than a minute), or it is damaged.
 */
async function judge(file: string): Promise<{ state: 'live' | 'vanished' } | { state: 'gone'; text: string | null }> {
  const text = await lockText(file);
  if (text === undefined) return { state: 'vanished' };
  if (text === null) return { state: 'gone', text };
  try {
    const info = await stat(file);
    const pid = Number((JSON.parse(text) as { pid?: unknown }).pid);
    if (Date.now() - info.mtimeMs > staleMs || !Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return { state: 'gone', text };
    return { state: 'live' };
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? { state: 'vanished' } : { state: 'gone', text };
  }
}

const gateOf = (lockPath: string) => `${lockPath}.takeover`;

/**
 * Removes a lock judged gone, if it still holds the text judged. Writers that judged the same lock take turns
 * through a second lock, the gate: without it, one could remove the lock another had just taken in its place.
 * Returns false when another writer is in the gate (wait, then try again). A gate left by a writer killed in
 * its few milliseconds there is removed for the next try.
 */
async function takeOver(lockPath: string, claim: string, judged: string | null): Promise<boolean> {
  const gate = gateOf(lockPath);
  try {
    await link(claim, gate);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if ((await judge(gate)).state === 'gone') await unlink(gate).catch(() => undefined);
    return false;
  }
  try {
    if ((await lockText(lockPath)) === judged) await unlink(lockPath).catch(() => undefined);
    return true;
  } finally {
    await unlink(gate).catch(() => undefined);
  }
}

/** Removes the claim files (`<lock>.<pid>.<random>`) of writers killed while they tried to take the lock. */
async function removeDeadClaims(lockPath: string): Promise<void> {
  const dir = path.dirname(lockPath);
  const prefix = `${path.basename(lockPath)}.`;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const pid = Number(/^(\d+)\.[0-9a-f]+$/.exec(name.slice(prefix.length))?.[1]);
    if (name.startsWith(prefix) && Number.isInteger(pid) && pid > 0 && !processAlive(pid)) await unlink(path.join(dir, name)).catch(() => undefined);
  }
}

/** Takes the lock; resolves with its release, or rejects with code ELOCKED when a live writer keeps it. */
export async function acquireWriteLock(lockPath: string, wait: LockWait): Promise<() => Promise<void>> {
  const mine = JSON.stringify({ pid: process.pid, at: new Date().toISOString(), id: randomBytes(6).toString('hex') });
  const temp = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(temp, mine, { mode: 0o600 });
    for (let attempt = 0; ; attempt++) {
      try {
        await link(temp, lockPath);
        await removeDeadClaims(lockPath);
        if ((await judge(gateOf(lockPath))).state === 'gone') await unlink(gateOf(lockPath)).catch(() => undefined);
        return async () => {
          if ((await readFile(lockPath, 'utf8').catch(() => '')) === mine) await unlink(lockPath).catch(() => undefined);
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await judge(lockPath);
      if (holder.state === 'vanished') continue;
      if (holder.state === 'gone' && (await takeOver(lockPath, temp, holder.text))) continue;
      if (attempt >= wait.attempts) throw Object.assign(new Error(`${lockPath} is held by another sso-sync`), { code: 'ELOCKED' });
      await new Promise((r) => setTimeout(r, Math.min(wait.maxDelayMs, wait.minDelayMs * 2 ** attempt)));
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}
