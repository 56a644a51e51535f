/**
 * The live progress line of a long sync on a terminal: drawn on stderr once the sync has taken about a second,
 * rewritten in place as the fetching goes (at most about ten times a second), cleared around each log line that
 * goes to the same terminal, and erased when the fetching is over. Never drawn where stderr is not a terminal, nor on
 * a terminal that cannot rewrite a line in place (TERM=dumb).
 */
import type { Clock, Timer } from '../clock/clock.js';
import type { ProgressEvent } from '../sync/progress.js';

/** Where the line is drawn: a terminal's stream, as `process.stderr` is one. */
export interface ProgressStream {
  isTTY?: boolean;
  /** The terminal's width; the line is cut to fit it, so that it never wraps. */
  columns?: number;
  write(text: string): unknown;
}

/** Timing of the line. */
export interface ProgressTiming {
  /** A sync shorter than this shows no line. */
  delayMs: number;
  /** The line is redrawn at most once in this long. */
  intervalMs: number;
}

const defaultTiming: ProgressTiming = { delayMs: 1_000, intervalMs: 100 };

/** Back to the start of the line and clear it: the line is drawn over, or gone. */
const clearLine = '\r\x1b[2K';

/** A name from a config, made safe to print on a terminal: no control character can move the cursor. */
const printable = (text: string) => text.replace(/[\p{Cc}]/gu, '?');

/** Numbers as a person reads them: 1,234. */
const count = (n: number) => n.toLocaleString('en-US');

/** What the line counts, for the session being fetched. */
interface Tally {
  session: string | undefined;
  index: number;
  of: number;
  accounts: number;
  queued: number;
  listed: number;
  throttled: number;
  retried: number;
}

const emptyTally = (): Tally => ({
  session: undefined,
  index: 0,
  of: 0,
  accounts: 0,
  queued: 0,
  listed: 0,
  throttled: 0,
  retried: 0,
});

/** The tally after an event. */
function tallied(t: Tally, event: ProgressEvent): Tally {
  switch (event.kind) {
    case 'session':
      return { ...emptyTally(), session: event.session, index: event.index, of: event.of };
    case 'listing':
      return { ...t, accounts: 0, queued: 0, listed: 0 };
    case 'accounts':
      return { ...t, accounts: t.accounts + event.count };
    case 'roles-queued':
      return { ...t, queued: t.queued + 1 };
    case 'roles-listed':
      return { ...t, listed: t.listed + 1 };
    case 'throttled':
      return { ...t, throttled: t.throttled + 1 };
    case 'retried':
      return { ...t, retried: t.retried + 1 };
    case 'fetched':
      return t;
  }
}

/** The line's text for a tally, `seconds` into the sync, cut to `width` characters. */
function progressText(t: Tally, seconds: number, width: number): string {
  const which = t.of > 1 ? ` (${t.index} of ${t.of})` : '';
  const parts = [
    t.accounts === 0 ? 'listing accounts' : `${count(t.accounts)} accounts listed`,
    ...(t.queued > 0 ? [`roles ${count(t.listed)}/${count(t.queued)}`] : []),
    ...(t.throttled > 0 ? [`${count(t.throttled)} throttled`] : []),
    ...(t.retried > 0 ? [`${count(t.retried)} retried`] : []),
  ];
  const text = `syncing ${printable(t.session ?? '')}${which}: ${parts.join(', ')} (${seconds} s)`;
  // The last column is left free: a line that fills it makes some terminals wrap, and \r would then miss it.
  const room = Math.max(10, width - 1);
  return text.length <= room ? text : `${text.slice(0, room - 1)}…`;
}

/**
 * The progress line of one sync: its time starts with the sync's first event; `end()` erases it (and is safe to
 * repeat).
 */
export class ProgressLine {
  private tally = emptyTally();
  private startedAt: number | undefined;
  /** The line is on the screen now. */
  private drawn = false;
  /** The line has appeared (the delay has passed) and is not ended: it is drawn, or cleared for a log line. */
  private active = false;
  private ended = false;
  private lastDrawAt = Number.NEGATIVE_INFINITY;
  private timer: { timer: Timer; at: number } | undefined;
  private readonly timing: ProgressTiming;

  constructor(
    private readonly stream: ProgressStream,
    private readonly clock: Clock,
    timing: Partial<ProgressTiming> = {},
  ) {
    this.timing = { ...defaultTiming, ...timing };
  }

  /** Hears the sync's progress (pass it as the sync's `onProgress`). */
  readonly onProgress = (event: ProgressEvent): void => {
    if (this.ended) return;
    if (event.kind === 'fetched') {
      this.end();
      return;
    }
    this.tally = tallied(this.tally, event);
    if (this.startedAt === undefined) {
      this.startedAt = this.clock.now();
      this.wakeAt(this.startedAt + this.timing.delayMs);
    } else if (this.active) {
      // Before the delay the first drawing is already set; after it, a change is drawn once the interval allows.
      this.wakeAt(Math.max(this.clock.now(), this.lastDrawAt + this.timing.intervalMs));
    }
  };

  /** Clears the line before something else is written to the terminal (a log line). */
  hide(): void {
    if (!this.drawn) return;
    this.stream.write(clearLine);
    this.drawn = false;
  }

  /** Draws the line again after something else was written (a log line). */
  show(): void {
    if (this.active && !this.drawn) this.draw();
  }

  /** Erases the line for good: the sync's own output follows. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.active = false;
    this.timer?.timer.cancel();
    this.timer = undefined;
    this.hide();
  }

  /** Sets the next drawing for `at`, unless one is set sooner already. */
  private wakeAt(at: number): void {
    if (this.timer && this.timer.at <= at) return;
    this.timer?.timer.cancel();
    const timer = this.clock.setTimer(at - this.clock.now(), () => {
      this.timer = undefined;
      this.active = true;
      this.draw();
    });
    this.timer = { timer, at };
  }

  private draw(): void {
    if (this.ended) return;
    const now = this.clock.now();
    const startedAt = this.startedAt ?? now;
    const seconds = Math.floor((now - startedAt) / 1000);
    // A terminal that gives no size (0, as a pseudo-terminal nobody sized does) is taken as 80 columns wide.
    const width = this.stream.columns !== undefined && this.stream.columns > 0 ? this.stream.columns : 80;
    this.stream.write(clearLine + progressText(this.tally, seconds, width));
    this.drawn = true;
    this.lastDrawAt = now;
    // The seconds go on while nothing else happens: the person sees the sync is alive.
    this.wakeAt(startedAt + (seconds + 1) * 1000);
  }
}

/**
 * The progress line for a sync by hand, on stderr, or none: where stderr is not a terminal (a pipe, a file, the
 * journal) or the terminal cannot rewrite a line (TERM=dumb). NO_COLOR changes nothing: the line has no colour.
 */
export function progressLineFor(
  stream: ProgressStream,
  env: NodeJS.ProcessEnv,
  clock: Clock,
): ProgressLine | undefined {
  if (stream.isTTY !== true || env.TERM === 'dumb') return undefined;
  return new ProgressLine(stream, clock);
}
