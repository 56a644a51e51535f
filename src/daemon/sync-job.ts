/**
 * One of the daemon's syncs: runs it with the daemon's own settings, tells the person what changed or that sign-in
 * is required, and tells the queue whether a retry is worth it. Then the token timers are set again: the sync may
 * have refreshed a token. A session waiting for a sign-in is left out quietly (see signed-out.ts).
 */
import { errorStack, SsoSyncError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { SyncRequest } from '../sync/run-once.js';
import type { SyncSummary } from './sync-summary.js';
import type { Current } from './current.js';
import type { Refreshed } from './known-tokens.js';
import type { CachedToken } from '../token/cache.js';
import { tokenFingerprint, type SignedOut } from './signed-out.js';
import type { SyncJob, SyncResult } from './sync-queue.js';

/** What a sync of the daemon needs. */
export interface SyncJobDeps {
  log: Logger;
  current: Current;
  /** Aborted when the daemon stops: a sync that has not begun writing writes nothing. */
  signal: AbortSignal;
  runSync(request: SyncRequest, onRefreshed: Refreshed): Promise<SyncSummary>;
  refreshed: Refreshed;
  notify(title: string, text: string): void;
  /** The sessions waiting for a sign-in: not synced; a sync that finds sign-in required begins a spell. */
  signedOut: SignedOut;
  /** The session's cached token; undefined when there is none or it cannot be read. */
  readToken(session: string): Promise<CachedToken | undefined>;
  /** Told of the config as the sync left it, by its sha256. */
  synced(configSha256: string): void;
  /** Sets the token timers again. */
  armTokens(): Promise<void>;
  /** Records the next scheduled run for `status`. */
  recordNextRun(): void;
}

/** The sessions a job syncs (none named: all of them) and those it leaves out because they wait for a sign-in. */
async function jobSessions(
  deps: SyncJobDeps,
  job: SyncJob,
): Promise<{ sessions: string[]; waiting: string[]; asked: string[] }> {
  const names = deps.current.names();
  const asked = job.all ? names : [...job.sessions].filter((s) => names.includes(s));
  const waiting = await deps.signedOut.waiting(asked);
  if (waiting.length > 0) {
    deps.log.debug(
      { event: 'sync.skipped', sessions: waiting, reason: job.reason },
      `not syncing ${waiting.join(', ')}: waiting for a sign-in`,
    );
  }
  return { sessions: job.all ? [] : asked.filter((s) => !waiting.includes(s)), waiting, asked };
}

/** Runs the job's sync; says whether it failed for a passing reason, or that nothing ran. */
export async function runSyncJob(deps: SyncJobDeps, job: SyncJob): Promise<SyncResult> {
  const { log, current } = deps;
  const { sessions, waiting, asked } = await jobSessions(deps, job);
  if (!job.all && asked.length === 0) return 'nothing';
  if (asked.length > 0 && waiting.length === asked.length) {
    deps.recordNextRun();
    return 'nothing';
  }
  // The token files as the sync starts: a sign-in required spell begins with the file that failed.
  const before = new Map<string, string>();
  for (const name of asked.filter((s) => !waiting.includes(s)))
    before.set(name, tokenFingerprint(await deps.readToken(name)));
  // The daemon's own validated settings: an invalid edit on disk does not reach the sync.
  const request: SyncRequest = {
    sessions,
    skip: waiting,
    dryRun: false,
    allowMassRemoval: false,
    settingsFile: undefined,
    settings: current.settings,
    signal: deps.signal,
    incremental: !job.fullAll,
    fullScan: [...job.full],
  };
  const scan = job.fullAll ? 'full' : job.full.size > 0 ? `full for ${[...job.full].join(', ')}` : 'incremental';
  log.debug(
    { event: 'sync.started', reason: job.reason, sessions: job.all ? 'all' : request.sessions, scan },
    `sync (${job.reason}; ${scan} scan)`,
  );
  let retryable: boolean;
  try {
    const report = await deps.runSync(request, deps.refreshed);
    // What the file holds as this sync left it: a change after this is someone else's.
    if (report.configSha256 !== undefined) deps.synced(report.configSha256);
    if (report.cancelled) return 'nothing';
    retryable = await reportOutcome(deps, report, before);
  } catch (error) {
    retryable = runFailed(log, error);
  }
  await deps.armTokens();
  deps.recordNextRun();
  return retryable ? 'retry' : 'done';
}

/**
 * Tells the person what a finished sync did; a session that needs sign-in begins its spell (the sync logged
 * `login.required`; the spell notifies). True when the sync failed for a passing reason.
 */
async function reportOutcome(deps: SyncJobDeps, report: SyncSummary, before: Map<string, string>): Promise<boolean> {
  const { changed } = report;
  if (changed > 0)
    deps.notify(
      'sso-sync: profiles changed',
      `${changed} profile${changed === 1 ? '' : 's'} added, removed or renamed`,
    );
  for (const f of report.failures) {
    if (f.error.code !== 'sign-in.required') continue;
    // A session the daemon did not know of before this sync (new in the config) began with the file as it is now.
    const fingerprint = before.get(f.session) ?? tokenFingerprint(await deps.readToken(f.session));
    deps.signedOut.begin(f.session, fingerprint);
  }
  return report.failures.some((f) => f.error.code === 'aws.failed');
}

/** Logs a whole run that failed (settings, a refused file: runOnce did not); true when it is worth a retry. */
function runFailed(log: Logger, error: unknown): boolean {
  const e = error instanceof SsoSyncError ? error : undefined;
  log.error({ event: 'sync.failed', code: e?.code ?? 'internal' }, e?.message ?? `sync failed: ${errorStack(error)}`);
  return e === undefined || e.retryable;
}
