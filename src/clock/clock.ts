/** The clock at the edge: time, sleeping and timers, injectable so that waits and expiry are tested without waiting. */

/** A timer that has been set; `cancel()` makes sure it does not fire (harmless once it has). */
export interface Timer {
  cancel(): void;
}

/** What code that waits or reads the time depends on. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Calls `fn` once, `ms` from now; any delay works, also one longer than setTimeout's ~24.8 days. */
  setTimer(ms: number, fn: () => void): Timer;
}

/** The longest delay setTimeout takes; a longer one would fire at once. */
const setTimeoutCapMs = 2 ** 31 - 1;

/**
 * A setTimeout of any length: one longer than `capMs` is waited for in steps of at most `capMs`, so that a token
 * valid for months can have its timer set now. Exported for tests, which shorten the cap.
 */
export function longTimer(ms: number, fn: () => void, capMs = setTimeoutCapMs): Timer {
  let rest = Math.max(0, ms);
  let handle: NodeJS.Timeout;
  const step = () => {
    const wait = Math.min(rest, capMs);
    rest -= wait;
    handle = setTimeout(() => (rest > 0 ? step() : fn()), wait);
  };
  step();
  return { cancel: () => clearTimeout(handle) };
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => longTimer(ms, resolve)),
  setTimer: longTimer,
};
