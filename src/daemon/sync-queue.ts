/**
 * The daemon's syncs, one at a time: a request that arrives during a sync (a sign-in, a reload, the schedule) is
 * merged with the others into one sync right after it. A sync that failed for a passing reason is retried with
 * backoff, when that is sooner than the next scheduled run.
 */
import type { Clock, Timer } from '../clock/clock.js';
import type { Logger } from '../log/logger.js';
import { backoffMs } from './backoff.js';

/**
 * A sync to run: of every session, or only of some; `reason` is the first request's. A sync scans roles
 * incrementally, except for the sessions a request asked to scan fully (every one with `fullAll`).
 */
export interface SyncJob {
  all: boolean;
  sessions: Set<string>;
  reason: string;
  fullAll: boolean;
  full: Set<string>;
}

/** How a requested sync scans the roles: what a scheduled cycle does, or every account's (a full scan). */
export type ScanKind = 'incremental' | 'full';

/** How a sync went, for the queue: worth a retry, not, or nothing ran (cancelled, no session left to sync). */
export type SyncResult = 'retry' | 'done' | 'nothing';

/** What the queue needs. */
export interface SyncQueueDeps {
  clock: Clock;
  log: Logger;
  /** Runs one sync. */
  run(job: SyncJob): Promise<SyncResult>;
  /** The next scheduled sync, if any: a retry later than that is not worth setting. */
  nextRun(): Date | undefined;
}

/** Runs the requested syncs one at a time, merged, with retries after failures. */
export class SyncQueue {
  private pending: SyncJob | undefined;
  private running: Promise<void> | undefined;
  /** Syncs in a row that failed for a passing reason. */
  private failures = 0;
  private retry: Timer | undefined;
  private stopped = false;

  constructor(private readonly deps: SyncQueueDeps) {}

  /** Asks for a sync of everything, or of one session; a sync already running is not disturbed. */
  request(reason: string, only?: string, scan: ScanKind = 'incremental'): void {
    if (this.stopped) return;
    this.pending ??= { all: false, sessions: new Set(), reason, fullAll: false, full: new Set() };
    const full = scan === 'full';
    if (only === undefined) {
      this.pending.all = true;
      this.pending.fullAll ||= full;
    } else {
      this.pending.sessions.add(only);
      if (full) this.pending.full.add(only);
    }
    this.running ??= this.drain();
  }

  /** Takes no more requests and sets no more retries; the sync in progress goes on (see `idle`). */
  stop(): void {
    this.stopped = true;
    this.retry?.cancel();
  }

  /** Resolves once the sync in progress, if any, has ended. */
  async idle(): Promise<void> {
    await this.running;
  }

  private async drain(): Promise<void> {
    while (this.pending && !this.stopped) {
      const job = this.pending;
      this.pending = undefined;
      await this.runOne(job);
    }
    // Cleared here, after the loop's last await, so that a request from now on starts the loop again.
    this.running = undefined;
  }

  private async runOne(job: SyncJob): Promise<void> {
    // Whatever sync runs now does what a retry set earlier would have done.
    this.retry?.cancel();
    const result = await this.deps.run(job);
    if (result === 'done') this.failures = 0;
    else if (result === 'retry' && !this.stopped) this.retryLater();
  }

  private retryLater(): void {
    const { clock, log } = this.deps;
    this.failures++;
    const delay = backoffMs(this.failures);
    const next = this.deps.nextRun();
    if (next !== undefined && next.getTime() - clock.now() <= delay) return;
    log.info(
      { event: 'sync.retry_scheduled', inMs: delay, failures: this.failures },
      `the sync failed; trying again in ${Math.round(delay / 1000)} s`,
    );
    this.retry = clock.setTimer(delay, () => this.request('retry'));
  }
}
