/**
 * The logger every module logs through, and its lightest form: JSON lines in pino's shape (the same keys, in the
 * same order, secrets censored by the same keys), written without pino. The daemon's long-lived process logs with
 * this one (see daemon-command.ts), so that it stays near a bare Node's size; every other run logs with pino
 * (logger.ts), which also draws readable lines on a terminal.
 */
import type { Clock } from '../clock/clock.js';
import { openLogFile, type LogFile, type LogFileOptions } from './rotating-file.js';
import { warnOfTakeover } from './takeover-warning.js';
import { writeSync } from 'node:fs';

/** One level's method: the line's fields (`event` first) and its message. */
export type LogMethod = (fields: object, message: string) => void;

/** What sso-sync logs with: a method per level. pino's logger is one; `jsonLines` gives a lighter one. */
export interface Logger {
  trace: LogMethod;
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  fatal: LogMethod;
}

/** Keys that could hold a secret, wherever they appear in a log object (at most two objects down). */
export const secretKeys = [
  'accessToken',
  'refreshToken',
  'clientSecret',
  'deviceCode',
  'codeVerifier',
  'authorizationCode',
  'token',
];

/** The levels and their numbers, as pino numbers them. */
export const levelValues = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** A level's name. */
export type LevelName = keyof typeof levelValues;

/**
 * The lowest level a logger writes to its output (`silent` is above every level), and to the log file: info and
 * above whatever the output's level, so that a quieter terminal or journal does not cost the history `sso-sync log`
 * reads. An unknown level name is refused.
 */
export function levelsOf(level: string): { out: number; file: number } {
  if (level !== 'silent' && !Object.hasOwn(levelValues, level))
    throw new Error(`unknown log level ${JSON.stringify(level)}`);
  const out = level === 'silent' ? Infinity : levelValues[level as LevelName];
  return { out, file: Math.min(out, levelValues.info) };
}

/** The value with what sits under a secret key replaced, in it and in the objects up to `depth` below it. */
function censored(value: unknown, depth: number): unknown {
  if (depth < 0 || typeof value !== 'object' || value === null || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((v) => censored(v, depth - 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value))
    out[key] = secretKeys.includes(key) ? '[redacted]' : censored(v, depth - 1);
  return out;
}

/** A value's JSON; a value JSON cannot hold (a BigInt, a loop) as its text, so that a log line never throws. */
function jsonOf(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return JSON.stringify(String(value));
  }
}

/** One JSON line as pino writes it: level, time, the fields, the message. */
export function jsonLine(level: LevelName, time: number, fields: object, message: string): string {
  let line = `{"level":"${level}","time":"${new Date(time).toISOString()}"`;
  for (const [key, value] of Object.entries(fields)) {
    const text = jsonOf(secretKeys.includes(key) ? '[redacted]' : censored(value, 1));
    // JSON.stringify gives undefined for what has no JSON form (undefined, a function): pino leaves the key out.
    if (text !== undefined) line += `,${JSON.stringify(key)}:${text}`;
  }
  return `${line},"msg":${JSON.stringify(message)}}\n`;
}

/**
 * Opens the log file for a logger: a line that cannot be written is reported once (until one is again), and a
 * rotation lock taken over from a process killed while rotating is reported after the line that rotated, both to
 * the logger `log()` gives (it is made after its file).
 */
export function openReportedLogFile(options: LogFileOptions, log: () => Pick<Logger, 'warn'>, clock?: Clock): LogFile {
  return openLogFile(
    options,
    (error) => {
      log().warn(
        { event: 'log.file_failed', file: options.path, error: error.message },
        `could not write the log file ${options.path} (${error.message}); lines still go to the output, ` +
          'and each new line tries the file again',
      );
    },
    { onTakeover: (takeover) => warnOfTakeover(log())(takeover), ...(clock ? { clock } : {}) },
  );
}

/** Options of `jsonLines`. */
export interface JsonLinesOptions {
  /** The lowest level written to `fd`. */
  level: string;
  fd: 1 | 2;
  clock: Clock;
  /** Also append the lines (info and above, whatever `level` says) to this rotated file, as pino's logger does. */
  file?: LogFileOptions;
}

/** A logger writing JSON lines to `fd` (and the log file) with one write each. */
export function jsonLines(options: JsonLinesOptions): Logger {
  const { out: outLevel, file: fileLevel } = levelsOf(options.level);
  const { file: fileOptions, clock } = options;
  const file = fileOptions && openReportedLogFile(fileOptions, () => log, clock);
  const method =
    (level: LevelName): LogMethod =>
    (fields, message) => {
      const value = levelValues[level];
      if (value < outLevel && (!file || value < fileLevel)) return;
      const line = jsonLine(level, clock.now(), fields, message);
      if (file && value >= fileLevel) file.write(line);
      if (value >= outLevel) writeLine(options.fd, line);
    };
  const log: Logger = {
    trace: method('trace'),
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    fatal: method('fatal'),
  };
  return log;
}

/** How often a write the pipe is too full for (EAGAIN) is tried again, 10 ms apart, before the line is dropped. */
const fullPipeTries = 200;

/**
 * Writes the whole line. A pipe another process set non-blocking may be full for a moment (EAGAIN): waited out
 * briefly, as pino's own writer does. Output that is gone (a closed pipe) is not the daemon's end.
 */
function writeLine(fd: number, line: string): void {
  const bytes = Buffer.from(line, 'utf8');
  let done = 0;
  let tries = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(fd, bytes, done);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || ++tries > fullPipeTries) return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}
