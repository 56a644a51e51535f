/**
 * A clock that moves only when sso-sync sleeps, for the reads of the AWS config: the made-up readings are judged on
 * it, so the tests take no time and every duration is exact. It starts `aheadMs` after the real time, the time base
 * of file times (ahead: every file the test writes has been left alone that long by its times).
 */
import assert from 'node:assert/strict';
import type { Clock } from '../../src/clock/clock.js';

/** The clock, and how long sso-sync has slept on it. */
export function sleepingClock(aheadMs = 0): Clock & { elapsed: () => number } {
  const start = Date.now() + aheadMs;
  let now = start;
  return {
    now: () => now,
    sleep: (ms) => {
      now += ms;
      return Promise.resolve();
    },
    // A read only sleeps; a timer here would be a bug.
    setTimer: () => assert.fail('no timer is set while reading'),
    elapsed: () => now - start,
  };
}
