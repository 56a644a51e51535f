/**
 * One daemon per user: a pid file in the state directory, claimed atomically (link, which fails when the file
 * exists). A pid file left by a daemon that died is taken over. Chosen over a lock that must be touched every few
 * seconds to stay fresh: the daemon idles without timers.
 */
import { readFileSync } from 'node:fs';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SsoSyncError } from '../errors.js';

/** What the pid file says about the daemon that wrote it. */
export interface DaemonRecord {
  pid: number;
  startedAt: string;
}

/** The pid file of the daemon. */
export function pidFile(stateDir: string): string {
  return path.join(stateDir, 'daemon.pid');
}

/**
 * True when a process with this pid exists and looks like sso-sync: on Linux one of its arguments is the sso-sync
 * program itself (so an editor open on a settings file does not count). Never this process itself: a daemon
 * restarted with the same pid (pid 1 in a container) finds its own old pid file.
 */
export function isSsoSyncProcess(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args.some((a) => /(^|\/)sso-sync$/.test(a) || a.endsWith('/cli/main.js'));
  } catch {
    return true; // no /proc (macOS): a live pid is taken at its word
  }
}

/** The running daemon, if any. */
export async function runningDaemon(stateDir: string): Promise<DaemonRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(pidFile(stateDir), 'utf8')) as DaemonRecord;
    return Number.isInteger(record.pid) && isSsoSyncProcess(record.pid) ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Claims the daemon's place; throws a usage error naming the daemon that already runs. */
export async function claimDaemon(stateDir: string, now: Date): Promise<{ release(): Promise<void> }> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const file = pidFile(stateDir);
  const mine: DaemonRecord = { pid: process.pid, startedAt: now.toISOString() };
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(mine), { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await link(temp, file);
        return {
          async release() {
            const current = await readFile(file, 'utf8').catch(() => '');
            if (current === JSON.stringify(mine)) await unlink(file).catch(() => undefined);
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const other = await runningDaemon(stateDir);
        if (other) {
          throw new SsoSyncError('usage', `an sso-sync daemon is already running (pid ${other.pid}, started ${other.startedAt}); stop it first (\`sso-sync service status\` shows how it runs), or run \`sso-sync --once\` for a sync now.`);
        }
        await unlink(file).catch(() => undefined); // left by a daemon that is gone
      }
    }
    throw new SsoSyncError('usage', `could not claim ${file}: another sso-sync daemon is starting at the same moment.`);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}
