/** The clock at the edge: time and sleeping, injectable so that pacing and expiry can be tested without waiting. */

/** What code that waits or reads the time depends on. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
