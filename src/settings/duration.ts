/** Durations in the settings file: `6h`, `30m`, `90s`, `2d`, combined as `1h30m`, or `0`. */

const unitMs = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;

/** The whole text: one or more number-and-unit parts, largest unit first, each unit at most once. */
const durationText = /^(?:(\d{1,5})d)?(?:(\d{1,5})h)?(?:(\d{1,5})m)?(?:(\d{1,6})s)?$/;

/** What a duration setting accepts, for messages. */
export const durationHint = 'expected a duration such as 6h, 30m, 90s, 1h30m or 0';

/**
 * The milliseconds a duration names, or undefined when the value is not one. `0` (the number or the text) is zero;
 * any other bare number is refused, since its unit would be a guess.
 */
export function parseDuration(value: unknown): number | undefined {
  if (value === 0 || value === '0') return 0;
  if (typeof value !== 'string' || value === '') return undefined;
  const m = durationText.exec(value.trim());
  if (!m) return undefined;
  const parts = [m[1], m[2], m[3], m[4]];
  if (parts.every((part) => part === undefined)) return undefined;
  const [d, h, min, s] = parts.map((part) => Number(part ?? 0));
  return d! * unitMs.d + h! * unitMs.h + min! * unitMs.m + s! * unitMs.s;
}

/** A duration for people: `6h`, `30m`, `1h30m`, `45s`, `0`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0';
  let rest = Math.round(ms / 1000);
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out || '0';
}
