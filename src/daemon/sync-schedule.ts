/** The daemon's cron schedule: one job, replaced when the settings' schedule changes. */

/** A scheduled job, as node-cron gives it. */
export interface Scheduled {
  stop(): void;
  nextRun(): Date | undefined;
}

/** What the schedule needs. */
export interface SyncScheduleDeps {
  schedule(expression: string, task: () => void): Scheduled;
  /** Records the next scheduled run for `status`. */
  recordNextRun(next: Date | undefined): Promise<void>;
  /** What the schedule does when it fires: ask for a sync. */
  fire(): void;
}

/** The schedule the daemon syncs on. */
export class SyncSchedule {
  private task: Scheduled | undefined;

  constructor(private readonly deps: SyncScheduleDeps) {}

  /** Syncs on this cron expression from now on (instead of the one before). */
  set(expression: string): void {
    this.task?.stop();
    this.task = this.deps.schedule(expression, () => this.deps.fire());
    this.record();
  }

  /** When the next scheduled sync runs. */
  nextRun(): Date | undefined {
    return this.task?.nextRun();
  }

  /** Records the next scheduled run for `status`; a failure to record it is not the daemon's concern. */
  record(): void {
    void this.deps.recordNextRun(this.nextRun()).catch(() => undefined);
  }

  /** No more scheduled syncs. */
  stop(): void {
    this.task?.stop();
  }
}
