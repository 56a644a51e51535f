/**
 * What `sso-sync status` reports about syncs: each session's last sync (when, how it ended, profiles managed) and
 * the daemon's next run, kept in `state.json` in the state directory by every sync, by hand or by the daemon.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import type { SsoSyncError } from '../errors.js';
import { replaceFile } from '../fs/replace-file.js';
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

/** Reads the state; a missing or damaged file is an empty state. */
export async function readState(stateDir: string): Promise<SyncState> {
  try {
    const s = JSON.parse(await readFile(file(stateDir), 'utf8')) as SyncState;
    return { sessions: s.sessions ?? {}, ...(s.daemon ? { daemon: s.daemon } : {}) };
  } catch {
    return { sessions: {} };
  }
}

/**
 * Read, change, write, under a lock: the daemon and a `--once` or `login` beside it update the same file, and
 * one must not overwrite what the other just recorded.
 */
async function update(stateDir: string, change: (s: SyncState) => void): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const release = await lockfile.lock(file(stateDir), {
    realpath: false,
    lockfilePath: path.join(stateDir, 'state.lock'),
    stale: 10_000,
    retries: { retries: 40, minTimeout: 20, maxTimeout: 250 },
    onCompromised: () => undefined,
  });
  try {
    const state = await readState(stateDir);
    change(state);
    await replaceFile(file(stateDir), `${JSON.stringify(state, null, 2)}\n`, 0o600);
  } finally {
    await release().catch(() => undefined);
  }
}

/** Records how a sync ended, per session. */
export async function recordSync(stateDir: string, report: SyncReport, now: Date): Promise<void> {
  await update(stateDir, (state) => {
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
        message: f.error.message.split('\n')[0]!,
      };
    }
  });
}

/** Records a failure of a whole run (settings, a refused config) for the sessions it was meant to sync. */
export async function recordRunFailure(
  stateDir: string,
  sessions: readonly string[],
  error: SsoSyncError,
  now: Date,
): Promise<void> {
  await update(stateDir, (state) => {
    for (const s of sessions)
      state.sessions[s] = {
        lastSync: now.toISOString(),
        outcome: outcomeOf(error),
        message: error.message.split('\n')[0]!,
      };
  });
}

/** Records the daemon's next scheduled run. */
export async function recordNextRun(stateDir: string, nextRun: Date | undefined, now: Date): Promise<void> {
  await update(stateDir, (state) => {
    state.daemon = { nextRun: nextRun?.toISOString(), updatedAt: now.toISOString() };
  });
}

function outcomeOf(error: SsoSyncError): Outcome {
  return error.code === 'sign-in.required' ? 'sign-in-required' : 'failed';
}
