/**
 * What the daemon and its worker processes say to each other. The daemon's long-lived process holds only the
 * schedule, the watches and the token timers; the work that loads the AWS SDK, zod, node-cron or Node's crypto (a
 * sync, a token refresh, reading the settings, the schedule's next time, looking at the AWS config for its blocks and
 * sessions) runs in a short-lived worker (src/cli/worker.ts), one per job, over Node's IPC channel with
 * structured-clone serialization. What crosses it is plain data: errors are carried as their code and message and
 * made again on the other side, and tokens only as hashes.
 */
import { SsoSyncError, type ErrorCode } from '../errors.js';
import type { SessionDef } from '../core/types.js';
import type { Settings } from '../settings/resolved.js';
import type { SessionSettings } from '../sync/configured-sessions.js';
import type { SyncRequest } from '../sync/run-once.js';
import type { ConfigFacts } from './config-facts.js';
import type { SyncSummary } from './sync-summary.js';

/** What every job carries: how the worker logs, and the settings file the daemon was started with. */
interface JobBase {
  /**
   * The daemon's version (package.json's, read when it started). A daemon keeps running through an upgrade of the
   * installed files and then forks the new worker: a job from another version is refused with the advice to
   * restart the daemon, instead of being misread (its settings, requests and answers may have another shape).
   */
  version: string;
  /** The daemon's log level, resolved: the worker's lines go where the daemon's go, at the same level. */
  logLevel: string;
  settingsFile: string | undefined;
}

/** A sync request as it crosses: the daemon's abort signal stays behind (an `abort` message stands for it). */
export type CarriedRequest = Omit<SyncRequest, 'signal'>;

/** A job for a worker, and what its answer carries. */
export type WorkerJob = JobBase &
  (
    | { kind: 'settings' }
    | { kind: 'next-run'; expression: string }
    | { kind: 'sync'; request: CarriedRequest; refused: string[] }
    | { kind: 'refresh'; session: SessionDef; refreshWindowMs: number; refused: string[] }
    | { kind: 'config'; configFile: string }
    | { kind: 'sessions'; settings: SessionSettings }
  );

/** What each kind of job answers with. */
export interface JobAnswers {
  settings: Settings;
  /** The next time the cron expression comes, in ms since the epoch; null if never. */
  'next-run': number | null;
  sync: CarriedSummary;
  refresh: null;
  config: ConfigFacts;
  sessions: SessionDef[];
}

/** A message from the daemon to a running worker: stop the sync before it writes (the daemon is stopping). */
export interface AbortMessage {
  kind: 'abort';
}

/** An error as it crosses: an SsoSyncError keeps its code, message and whether a retry may help. */
export interface CarriedError {
  message: string;
  stack: string | undefined;
  code: ErrorCode | undefined;
  retryable: boolean;
}

/** A sync's summary as it crosses: each failure's error carried. */
export type CarriedSummary = Omit<SyncSummary, 'failures'> & { failures: { session: string; error: CarriedError }[] };

/** A message from a worker to the daemon. */
export type WorkerMessage =
  /** A token the worker's keeper wrote (by the hash of its access token): not a sign-in. */
  | { kind: 'refreshed'; session: string; accessTokenHash: string }
  /** A refresh token the service refused (by its hash): never sent again. */
  | { kind: 'refused'; refreshTokenHash: string }
  | { kind: 'done'; answer: unknown }
  | { kind: 'failed'; error: CarriedError };

/** The error as it can cross. */
export function carryError(error: unknown): CarriedError {
  if (error instanceof SsoSyncError)
    return { message: error.message, stack: error.stack, code: error.code, retryable: error.retryable };
  if (error instanceof Error) return { message: error.message, stack: error.stack, code: undefined, retryable: false };
  return { message: String(error), stack: undefined, code: undefined, retryable: false };
}

/** The error made again on this side: an SsoSyncError of the same code, or an Error with the worker's stack. */
export function rebuildError(carried: CarriedError): Error {
  const error = carried.code
    ? new SsoSyncError(carried.code, carried.message, { retryable: carried.retryable })
    : new Error(carried.message);
  if (carried.stack !== undefined) error.stack = carried.stack;
  return error;
}

/** The summary as it can cross. */
export function carrySummary(summary: SyncSummary): CarriedSummary {
  return { ...summary, failures: summary.failures.map((f) => ({ session: f.session, error: carryError(f.error) })) };
}

/** The summary made again on this side, each failure an SsoSyncError again. */
export function rebuildSummary(carried: CarriedSummary): SyncSummary {
  return {
    ...carried,
    failures: carried.failures.map((f) => {
      const error = rebuildError(f.error);
      // A sync's failures are SsoSyncErrors on the worker's side; one without a code would be a bug there.
      if (!(error instanceof SsoSyncError)) throw new Error(`a sync failure of ${f.session} came without a code`);
      return { session: f.session, error };
    }),
  };
}
