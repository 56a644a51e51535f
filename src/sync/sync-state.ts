/**
 * What `sso-sync status` reports about syncs: each session's last sync (when, how it ended, profiles managed) and
 * the daemon's next run, kept in `state.json` in the state directory by every sync, by hand or by the daemon.
 */
import { mkdir, readFile } from 'node:fs/promises';
import type { Clock } from '../clock/clock.js';
import type { SsoSyncError } from '../errors.js';
import { acquireLock } from '../fs/lock-file.js';
import { replaceFile } from '../fs/replace-file.js';
import type { Logger } from '../log/logger.js';
import { warnOfTakeover } from '../log/takeover-warning.js';
import type { SyncReport } from './run-once.js';
import { syncStateFile } from '../paths.js';

/** How a session's last sync ended. */
export type Outcome = 'ok' | 'held' | 'failed' | 'sign-in-required';

/** The state file's content. */
export interface SyncState {
  sessions: Record<
    string,
    { lastSync: string; outcome: Outcome; message?: string; profiles?: number; written?: boolean }
  >;
  daemon?: { nextRun?: string | undefined; updatedAt: string };
}

const file = syncStateFile;

/**
 * The lock of an update. Not `state.lock`: that is the directory an earlier sso-sync's lock made, and one left by
 * a crash must not stand in this lock's way.
 */
function lockFile(stateDir: string): string {
  return `${file(stateDir)}.lock`;
}

/** Where an update logs a lock it took over from a process killed while updating, and the clock it waits by. */
export interface StateOptions {
  log?: Pick<Logger, 'warn'>;
  clock?: Clock;
}

/** Reads the state; a missing or damaged file is an empty state. */
export async function readState(stateDir: string): Promise<SyncState> {
  try {
    const s = JSON.parse(await readFile(file(stateDir), 'utf8')) as Partial<SyncState>;
    return { sessions: s.sessions ?? {}, ...(s.daemon ? { daemon: s.daemon } : {}) };
  } catch {
    return { sessions: {} };
  }
}

/**
 * Read, change, write, under a lock: the daemon and a `--once` or `login` beside it update the same file, and
 * one must not overwrite what the other just recorded. An update takes milliseconds: a lock older than 10 s
 * belongs to no live update, whatever its pid; one whose holder died is taken over at once.
 */
async function update(stateDir: string, change: (s: SyncState) => void, options: StateOptions): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const release = await acquireLock(lockFile(stateDir), {
    // Waits of 20 ms doubling up to 250 ms: about 9 s in all.
    attempts: 40,
    minDelayMs: 20,
    maxDelayMs: 250,
    staleMs: 10_000,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.log ? { onTakeover: warnOfTakeover(options.log) } : {}),
  });
  try {
    const state = await readState(stateDir);
    change(state);
    await replaceFile(file(stateDir), `${JSON.stringify(state, null, 2)}\n`, 0o600);
  } finally {
    await release();
  }
}

/** Records how a sync ended, per session. */
export async function recordSync(
  stateDir: string,
  report: SyncReport,
  now: Date,
  options: StateOptions = {},
): Promise<void> {
  await update(
    stateDir,
    (state) => {
      const at = now.toISOString();
      for (const o of report.outcomes) {
        state.sessions[o.session] = {
          lastSync: at,
          outcome: o.held ? 'held' : 'ok',
          profiles: o.profileCount,
          written: report.written,
        };
      }
      for (const f of report.failures) {
        state.sessions[f.session] = {
          lastSync: at,
          outcome: outcomeOf(f.error),
          message: firstLine(f.error.message),
        };
      }
    },
    options,
  );
}

/** Records a failure of a whole run (settings, a refused config) for the sessions it was meant to sync. */
export async function recordRunFailure(
  stateDir: string,
  sessions: readonly string[],
  error: SsoSyncError,
  now: Date,
  options: StateOptions = {},
): Promise<void> {
  await update(
    stateDir,
    (state) => {
      for (const s of sessions)
        state.sessions[s] = {
          lastSync: now.toISOString(),
          outcome: outcomeOf(error),
          message: firstLine(error.message),
        };
    },
    options,
  );
}

/** Records the daemon's next scheduled run. */
export async function recordNextRun(
  stateDir: string,
  nextRun: Date | undefined,
  now: Date,
  options: StateOptions = {},
): Promise<void> {
  await update(
    stateDir,
    (state) => {
      state.daemon = { nextRun: nextRun?.toISOString(), updatedAt: now.toISOString() };
    },
    options,
  );
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0] ?? '';
}

function outcomeOf(error: SsoSyncError): Outcome {
  return error.code === 'sign-in.required' ? 'sign-in-required' : 'failed';
}
