/**
 * When the daemon's scheduled syncs really run, pure. Every daemon on a schedule like `*\/30 * * * *` would call the
 * portal in the same second; so the default schedule runs every 30 minutes at this installation's own place in the
 * half hour (drawn once: `fraction`), plus a small random jitter per run. A schedule the person wrote runs as
 * written, later by this installation's share of `splay` (default 0).
 */
import type { Settings } from '../settings/schema.js';
import { formatDuration } from '../settings/duration.js';

/** How the schedule runs: the cron expression node-cron keeps, and what is added to each of its times. */
export interface ScheduleTiming {
  /** The cron expression (the default schedule's carries this installation's minute and second). */
  expression: string;
  /** Added to every run: this installation's share of `splay`. */
  delayMs: number;
  /** Each run is later by a random share of this, drawn anew for every run. */
  jitterMs: number;
  /** The schedule in words, for the log and `status`. */
  description: string;
}

/** The default schedule's period. */
export const defaultPeriodMs = 30 * 60_000;

/** The default schedule's jitter: small beside the half hour the installations are spread over. */
export const defaultJitterMs = 60_000;

/** The timing of a schedule for an installation whose place is `fraction` (0 to 1, drawn once). */
export function scheduleTiming(
  settings: Pick<Settings, 'schedule' | 'scheduleWritten' | 'splayMs'>,
  fraction: number,
): ScheduleTiming {
  const delayMs = Math.floor(fraction * settings.splayMs);
  const later = delayMs > 0 ? `, ${formatDuration(delayMs)} later (splay)` : '';
  if (settings.scheduleWritten) {
    return { expression: settings.schedule, delayMs, jitterMs: 0, description: `${settings.schedule}${later}` };
  }
  const offset = Math.floor((fraction * defaultPeriodMs) / 1000);
  const [minute, second] = [Math.floor(offset / 60), offset % 60];
  const at = (m: number) => `:${String(m).padStart(2, '0')}:${String(second).padStart(2, '0')}`;
  return {
    expression: `${second} ${minute},${minute + 30} * * * *`,
    delayMs,
    jitterMs: defaultJitterMs,
    description:
      `every 30 minutes at ${at(minute)} and ${at(minute + 30)} past the hour (this installation's place), ` +
      `up to ${formatDuration(defaultJitterMs)} later by chance${later}`,
  };
}
