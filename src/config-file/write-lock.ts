/**
 * The lock that keeps two sso-sync processes from writing the AWS config at once: a small file holding the
 * writer's pid, claimed with link() (which fails when the file exists). A writer killed while it holds the lock
 * leaves the file behind; the next writer sees its pid is gone and takes the lock over at once, instead of
 * waiting for it to go stale. A lock older than a minute is taken over too: a write takes milliseconds, so its
 * pid was reused by something else.
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

async function holderIsGone(lockPath: string): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    const pid = Number((JSON.parse(text) as { pid?: unknown }).pid);
    if (Date.now() - info.mtimeMs > staleMs) return true;
    return !Number.isInteger(pid) || pid <= 0 || !processAlive(pid);
  } catch (error) {
    // Vanished meanwhile (try again at once), or unreadable / not ours (damaged: take it over).
    return (error as NodeJS.ErrnoException).code !== 'ENOENT' ? true : false;
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
        return async () => {
          if ((await readFile(lockPath, 'utf8').catch(() => '')) === mine) await unlink(lockPath).catch(() => undefined);
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (await holderIsGone(lockPath)) {
        await unlink(lockPath).catch(() => undefined);
        continue;
      }
      if (attempt >= wait.attempts) throw Object.assign(new Error(`${lockPath} is held by another sso-sync`), { code: 'ELOCKED' });
      await new Promise((r) => setTimeout(r, Math.min(wait.maxDelayMs, wait.minDelayMs * 2 ** attempt)));
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}
