/**
 * Reading `--since`: a duration back from now (`30m`, `12h`, `7d`, `2w`) or a date (`2026-11-21`, `2026-11-21T08:00`).
 */
import { SsoSyncError } from '../errors.js';

const unitMs = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

const duration = /^([1-9][0-9]{0,5})([mhdw])$/;
// A date, optionally a time (minutes, seconds, fraction) and an offset; without an offset it is local time.
const isoDate =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** The moment `--since` names, relative to `now`; a value it cannot read is a usage error. */
export function parseSince(value: string, now: Date): Date {
  const text = value.trim();
  const d = duration.exec(text);
  if (d) return new Date(now.getTime() - Number(d[1]) * unitMs[d[2] as keyof typeof unitMs]);
  const m = isoDate.exec(text);
  const date = m ? dateOf(m) : undefined;
  if (date) return date;
  throw new SsoSyncError(
    'usage',
    `--since ${JSON.stringify(value)} is neither a duration nor a date: give a number and a unit (30m, 12h, 7d, 2w) ` +
      'or a date, with a time if you like (2026-11-21, 2026-11-21T08:00, 2026-11-21T08:00:00Z).',
  );
}

function dateOf(m: RegExpExecArray): Date | undefined {
  const [year, month, day, hour = 0, minute = 0, second = 0] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((p) =>
    p === undefined ? undefined : Number(p),
  );
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  const offset = m[8];
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let date: Date;
  if (offset === undefined) {
    date = new Date(year!, month! - 1, day, hour, minute, second, ms);
    // The Date constructor rolls 2026-02-31 over into March: refuse what is not a real day.
    if (date.getFullYear() !== year || date.getMonth() !== month! - 1 || date.getDate() !== day) return undefined;
  } else {
    const utc = Date.UTC(year!, month! - 1, day, hour, minute, second, ms);
    const check = new Date(utc);
    if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month! - 1 || check.getUTCDate() !== day)
      return undefined;
    const o = /^([+-])(\d{2}):?(\d{2})$/.exec(offset);
    if (o && (Number(o[2]) > 23 || Number(o[3]) > 59)) return undefined;
    const offsetMinutes = o ? (o[1] === '-' ? -1 : 1) * (Number(o[2]) * 60 + Number(o[3])) : 0;
    date = new Date(utc - offsetMinutes * 60_000);
  }
  return Number.isNaN(date.getTime()) ? undefined : date;
}
