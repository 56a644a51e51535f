/**
 * What the daemon learns from one of its syncs: no more than it acts on, so that what crosses from the worker that
 * ran it is small whatever the number of profiles (see worker-protocol.ts).
 */
import { sha256Hex } from '../core/sha256.js';
import type { SessionFailure } from '../sync/fetch-sessions.js';
import type { SyncReport } from '../sync/run-once.js';

/** A sync of the daemon, as the daemon acts on it. */
export interface SyncSummary {
  /** sha256 of the AWS config as the sync left it (written or read): a change after it is someone else's. */
  configSha256: string | undefined;
  /** Cancelled before writing (the daemon is stopping): nothing to tell. */
  cancelled: boolean;
  /** Profiles added, removed or renamed. */
  changed: number;
  failures: SessionFailure[];
}

/** The summary of a sync's report. */
export function summarize(report: SyncReport): SyncSummary {
  return {
    configSha256: report.configText === undefined ? undefined : sha256Hex(report.configText),
    cancelled: report.cancelled === true,
    changed: report.outcomes.reduce((n, o) => n + o.added.length + o.removed.length + o.renamed.length, 0),
    failures: report.failures,
  };
}
