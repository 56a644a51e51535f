/**
 * One of the daemon's syncs: runs it with the daemon's own settings, tells the person what changed or that sign-in
 * is required, and tells the queue whether a retry is worth it. Then the token timers are set again: the sync may
 * have refreshed a token.
 */
import { errorStack, SsoSyncError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { SyncReport, SyncRequest } from '../sync/run-once.js';
import type { Current } from './current.js';
import type { Refreshed } from './known-tokens.js';
import type { SignInNotices } from './sign-in-notices.js';
import type { SyncJob, SyncResult } from './sync-queue.js';

/** What a sync of the daemon needs. */
export interface SyncJobDeps {
  log: Logger;
  current: Current;
  /** Aborted when the daemon stops: a sync that has not begun writing writes nothing. */
  signal: AbortSignal;
  runSync(request: SyncRequest, onRefreshed: Refreshed): Promise<SyncReport>;
  refreshed: Refreshed;
  notify(title: string, text: string): void;
  notices: SignInNotices;
  /** Told of the config as the sync left it. */
  synced(configText: string): void;
  /** Sets the token timers again. */
  armTokens(): Promise<void>;
  /** Records the next scheduled run for `status`. */
  recordNextRun(): void;
}

/** Runs the job's sync; says whether it failed for a passing reason, or that nothing ran. */
export async function runSyncJob(deps: SyncJobDeps, job: SyncJob): Promise<SyncResult> {
  const { log, current } = deps;
  // The daemon's own validated settings: an invalid edit on disk does not reach the sync.
  const request: SyncRequest = {
    sessions: job.all ? [] : [...job.sessions].filter((s) => current.names().includes(s)),
    dryRun: false,
    allowMassRemoval: false,
    settingsFile: undefined,
    settings: current.settings,
    signal: deps.signal,
    incremental: !job.fullAll,
    fullScan: [...job.full],
  };
  if (!job.all && request.sessions.length === 0) return 'nothing';
  const scan = job.fullAll ? 'full' : job.full.size > 0 ? `full for ${[...job.full].join(', ')}` : 'incremental';
  log.debug(
    { event: 'sync.started', reason: job.reason, sessions: job.all ? 'all' : request.sessions, scan },
    `sync (${job.reason}; ${scan} scan)`,
  );
  let retryable: boolean;
  try {
    const report = await deps.runSync(request, deps.refreshed);
    // What the file holds as this sync left it: a change after this is someone else's.
    if (report.configText !== undefined) deps.synced(report.configText);
    if (report.cancelled) return 'nothing';
    retryable = reportOutcome(deps, report);
  } catch (error) {
    retryable = runFailed(log, error);
  }
  await deps.armTokens();
  deps.recordNextRun();
  return retryable ? 'retry' : 'done';
}

/** Tells the person what a finished sync did; true when it failed for a passing reason. */
function reportOutcome(deps: SyncJobDeps, report: SyncReport): boolean {
  const changed = report.outcomes.reduce((n, o) => n + o.added.length + o.removed.length + o.renamed.length, 0);
  if (changed > 0)
    deps.notify(
      'sso-sync: profiles changed',
      `${changed} profile${changed === 1 ? '' : 's'} added, removed or renamed`,
    );
  for (const f of report.failures) if (f.error.code === 'sign-in.required') deps.notices.required(f.session);
  return report.failures.some((f) => f.error.code === 'aws.failed');
}

/** Logs a whole run that failed (settings, a refused file: runOnce did not); true when it is worth a retry. */
function runFailed(log: Logger, error: unknown): boolean {
  const e = error instanceof SsoSyncError ? error : undefined;
  log.error({ event: 'sync.failed', code: e?.code ?? 'internal' }, e?.message ?? `sync failed: ${errorStack(error)}`);
  return e === undefined || e.retryable;
}
