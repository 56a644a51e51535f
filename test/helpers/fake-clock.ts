/**
 * A clock whose time moves only when the test says so, for tests of code that waits: timers fire in time order
 * within `advance`, and the work each one starts runs (file reads included) before the next one fires. So a test
 * can say "nothing happened" after moving the clock past the moment when it would have happened.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Clock, Timer } from '../../src/clock/clock.js';

interface Pending {
  at: number;
  order: number;
  fn: () => void;
}

// One-shot I/O requests in flight (file reads and writes, their closes, DNS lookups); handles that stay open
// (a timer, a pipe, a watch) are not work that ends by itself.
const ioRequest = /^FSReq|Req$|ReqWrap$|Request$/;

/**
 * Resolves once the work started so far has run as far as it can without time moving: the microtask queue is
 * empty and no file-system request is in flight, for a few turns of the event loop in a row. Real I/O finishes
 * on its own time, so this waits for it (5 s at most, then it throws naming what was still in flight).
 */
export async function settle(limitMs = 5_000): Promise<void> {
  const end = performance.now() + limitMs;
  for (let quiet = 0; quiet < 3;) {
    await nextTurn();
    const busy = process.getActiveResourcesInfo().filter((r) => ioRequest.test(r));
    quiet = busy.length === 0 ? quiet + 1 : 0;
    if (busy.length > 0 && performance.now() > end)
      throw new Error(`the work did not settle in ${limitMs} ms: ${busy.join(', ')} still in flight`);
  }
}

/** A Clock for tests: starts at `start` and stays there until `advance`. */
export class FakeClock implements Clock {
  private time: number;
  private order = 0;
  private readonly timers = new Set<Pending>();

  constructor(start = Date.parse('2026-01-05T09:00:00Z')) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(ms, resolve));
  }

  setTimer(ms: number, fn: () => void): Timer {
    const timer: Pending = { at: this.time + Math.max(0, ms), order: this.order++, fn };
    this.timers.add(timer);
    return { cancel: () => this.timers.delete(timer) };
  }

  /** The timers set and not yet fired nor cancelled: how long from now each fires, soonest first. */
  pending(): number[] {
    return [...this.timers].map((t) => t.at - this.time).sort((a, b) => a - b);
  }

  /**
   * Moves time forward by `ms`: first lets the work already started settle, then fires each timer due by then in
   * time order (ties in the order they were set), the clock showing its time, and lets the work it started settle
   * before the next. Timers that work sets are fired too when they fall due within `ms`.
   */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await settle();
    for (let fired = 0; ; fired++) {
      const due = [...this.timers].filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!due) break;
      if (fired > 1_000) throw new Error('timers keep setting timers: more than 1000 fired in one advance');
      this.timers.delete(due);
      this.time = due.at;
      due.fn();
      await settle();
    }
    this.time = end;
  }
}
