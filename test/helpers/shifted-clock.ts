/** The real clock's waits, and a "now" the caller moves forward at will (from `start`, else the real now). */
import type { Clock } from '../../src/clock/clock.js';

export class ShiftedClock implements Clock {
  private shift: number;
  constructor(start?: number) {
    this.shift = start === undefined ? 0 : start - Date.now();
  }
  now(): number {
    return Date.now() + this.shift;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
  setTimer(ms: number, fn: () => void) {
    const handle = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(handle) };
  }
  advance(ms: number): void {
    this.shift += ms;
  }
  /** Moves "now" to `at` (later than now). */
  setTo(at: number): void {
    this.shift += at - this.now();
  }
}
