/**
 * A cron schedule kept with timers: each next time comes from `nextTime` (node-cron's reckoning, in a worker
 * process: the daemon's long-lived process does not load node-cron, see worker-protocol.ts), and a timer waits for
 * it. A timer that wakes early (the wall clock was set back) waits again; a `nextTime` that fails is asked again
 * after a minute, and said once until it works again.
 */
import type { Clock, Timer } from '../clock/clock.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Scheduled } from './sync-schedule.js';

/** What the schedule needs. */
export interface CronTimesDeps {
  clock: Clock;
  log: Logger;
  /** The next time the expression comes after now, in ms since the epoch; null if it never does. */
  nextTime(expression: string): Promise<number | null>;
}

/** How long after a failed `nextTime` it is asked again. */
export const retryMs = 60_000;

/** Runs `task` each time `expression` comes; `changed` hears when the next time becomes known. */
export function cronTimes(deps: CronTimesDeps, expression: string, task: () => void, changed: () => void): Scheduled {
  let next: number | null = null;
  let timer: Timer | undefined;
  let stopped = false;
  let failing = false;
  const wait = (at: number) => {
    timer = deps.clock.setTimer(Math.max(0, at - deps.clock.now()), () => {
      if (stopped) return;
      // Woken before its time by the wall clock (set back, or timers and the wall clock apart by a few ms): waits
      // again, so that the next time is never asked for before this one has come and the task never runs twice.
      if (deps.clock.now() < at) {
        wait(at);
        return;
      }
      next = null;
      task();
      ask();
    });
  };
  const ask = () => {
    deps.nextTime(expression).then(
      (time) => {
        if (stopped) return;
        failing = false;
        next = time;
        if (time !== null) wait(time);
        changed();
      },
      (error: unknown) => {
        if (stopped) return;
        if (!failing) {
          deps.log.error(
            { event: 'schedule.failed', schedule: expression },
            `could not work out when the schedule ${expression} runs next (${errorMessage(error)}); ` +
              `trying again every ${retryMs / 1000} s. Until then only changes and sign-ins start a sync.`,
          );
        }
        failing = true;
        timer = deps.clock.setTimer(retryMs, ask);
      },
    );
  };
  ask();
  return {
    stop: () => {
      stopped = true;
      timer?.cancel();
    },
    nextRun: () => (next === null ? undefined : new Date(next)),
  };
}
