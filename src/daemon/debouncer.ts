/** Waits for a burst of file events to end: an editor's save, or a rename over a file, is several events. */
import type { Clock, Timer } from '../clock/clock.js';

/** Calls `fn` with a key once no event for that key has come for `ms`. */
export class Debouncer {
  private readonly timers = new Map<string, Timer>();
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly ms: number,
    private readonly fn: (key: string) => void,
  ) {}

  /** An event for `key`: its wait starts again. */
  event(key: string): void {
    if (this.stopped) return;
    this.timers.get(key)?.cancel();
    this.timers.set(
      key,
      this.clock.setTimer(this.ms, () => {
        this.timers.delete(key);
        this.fn(key);
      }),
    );
  }

  /** No more calls, for waits running or to come. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
  }
}
