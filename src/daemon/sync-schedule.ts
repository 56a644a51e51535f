/**
 * The daemon's schedule: one cron job, replaced when the settings' schedule changes. Each time the cron expression
 * comes, the sync is asked for after this installation's delay (`splay`) and the run's own jitter (see
 * schedule-timing.ts). The delay of the next run is drawn ahead, so that `nextRun` says when it really runs.
 */
import type { Clock, Timer } from '../clock/clock.js';
import type { ScheduleTiming } from './schedule-timing.js';

/** A scheduled job: its next time, and a way to stop it. */
export interface Scheduled {
  stop(): void;
  nextRun(): Date | undefined;
}

/** What the schedule needs. */
export interface SyncScheduleDeps {
  clock: Clock;
  /** Runs `task` each time the expression comes; `changed` hears when the next time becomes known later. */
  schedule(expression: string, task: () => void, changed: () => void): Scheduled;
  /** Records the next scheduled run for `status`. */
  recordNextRun(next: Date | undefined): Promise<void>;
  /** A uniform draw from [0, 1), for each run's jitter. */
  random(): number;
  /** What the schedule does when it fires: ask for a sync. */
  fire(): void;
}

/** The schedule the daemon syncs on. */
export class SyncSchedule {
  private task: Scheduled | undefined;
  private timing: ScheduleTiming | undefined;
  /** Runs whose cron time has come, waiting out their delay: when each fires. */
  private readonly waiting = new Map<Timer, number>();
  /** How long after its cron time the next run comes. */
  private nextDelay = 0;

  constructor(private readonly deps: SyncScheduleDeps) {}

  /** Syncs on this timing from now on (instead of the one before). */
  set(timing: ScheduleTiming): void {
    this.stop();
    this.timing = timing;
    this.nextDelay = this.drawDelay();
    this.task = this.deps.schedule(
      timing.expression,
      () => this.due(),
      () => this.record(),
    );
    this.record();
  }

  /** When the next scheduled sync runs, its delay included. */
  nextRun(): Date | undefined {
    const times = [...this.waiting.values()];
    const cron = this.task?.nextRun();
    if (cron) times.push(cron.getTime() + this.nextDelay);
    return times.length > 0 ? new Date(Math.min(...times)) : undefined;
  }

  /** Records the next scheduled run for `status`; a failure to record it is not the daemon's concern. */
  record(): void {
    void this.deps.recordNextRun(this.nextRun()).catch(() => undefined);
  }

  /** No more scheduled syncs; runs waiting out their delay are dropped. */
  stop(): void {
    this.task?.stop();
    for (const timer of this.waiting.keys()) timer.cancel();
    this.waiting.clear();
  }

  /** The cron time has come: the sync is asked for once this run's delay has passed. */
  private due(): void {
    const { clock } = this.deps;
    const delay = this.nextDelay;
    this.nextDelay = this.drawDelay();
    if (delay <= 0) {
      this.deps.fire();
      return;
    }
    const timer = clock.setTimer(delay, () => {
      this.waiting.delete(timer);
      this.deps.fire();
    });
    this.waiting.set(timer, clock.now() + delay);
    this.record();
  }

  private drawDelay(): number {
    const timing = this.timing;
    return timing ? timing.delayMs + Math.floor(this.deps.random() * timing.jitterMs) : 0;
  }
}
