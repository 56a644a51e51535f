/**
 * One daemon per user: a pid file in the state directory, claimed as a lock (lock-file.ts: link, which fails when
 * the file exists). A pid file left by a daemon that died is taken over. Chosen over a lock that must be touched
 * every few seconds to stay fresh: the daemon idles without timers.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { errorCode, SsoSyncError } from '../errors.js';
import { acquireLock, LockBusyError } from '../fs/lock-file.js';
import type { Logger } from '../log/logger.js';
import { warnOfTakeover } from '../log/takeover-warning.js';
import { pidFile } from '../paths.js';

/** What the pid file says about the daemon that wrote it. */
export interface DaemonRecord {
  pid: number;
  startedAt: string;
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
    if (errorCode(error) !== 'EPERM') return false;
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

/**
 * Claims the daemon's place; throws a usage error naming the daemon that already runs. The pid file is a lock
 * that never goes stale by age (a daemon holds it for days), only when its pid is no sso-sync any more. The pid
 * file of a daemon that died is taken over, and that is logged to `log` as `lock.taken_over`.
 */
export async function claimDaemon(
  stateDir: string,
  now: Date,
  log?: Pick<Logger, 'warn'>,
): Promise<{ release(): Promise<void> }> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const file = pidFile(stateDir);
  const mine: DaemonRecord = { pid: process.pid, startedAt: now.toISOString() };
  try {
    const release = await acquireLock(file, {
      attempts: 0,
      minDelayMs: 0,
      maxDelayMs: 0,
      content: JSON.stringify(mine),
      alive: isSsoSyncProcess,
      staleMs: Infinity,
      ...(log ? { onTakeover: warnOfTakeover(log) } : {}),
    });
    return { release };
  } catch (error) {
    if (!(error instanceof LockBusyError)) throw error;
    const other = await runningDaemon(stateDir);
    if (other) {
      throw new SsoSyncError(
        'usage',
        `an sso-sync daemon is already running (pid ${other.pid}, started ${other.startedAt}); stop it first ` +
          '(`sso-sync service status` shows how it runs), or run `sso-sync --once` for a sync now.',
      );
    }
    throw new SsoSyncError('usage', `could not claim ${file}: another sso-sync daemon is starting at the same moment.`);
  }
}
