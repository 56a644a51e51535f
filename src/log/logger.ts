/**
 * The logger at the edge: pino JSON lines, or readable lines on a terminal, and the log file; secrets are censored
 * by key.
 */
import { pino, type DestinationStream } from 'pino';
import pretty, { prettyFactory } from 'pino-pretty';
import type { Clock } from '../clock/clock.js';
import type { LogFileOptions } from './rotating-file.js';
import { levelsOf, openReportedLogFile, secretKeys, type Logger } from './log-lines.js';

export { secretKeys, type Logger } from './log-lines.js';
export type { LogFileOptions } from './rotating-file.js';

/** Options for the logger. */
export interface LoggerOptions {
  level?: string;
  /** Where lines go: a file descriptor (1 stdout, 2 stderr). */
  fd: 1 | 2;
  /** Readable lines instead of JSON (a terminal). */
  human: boolean;
  color: boolean;
  /**
   * Also append JSON lines to this file, rotated by size. It gets at least the info level whatever `level` says:
   * a quieter terminal or journal must not cost the history `sso-sync log` reads.
   */
  file?: LogFileOptions;
  /** The clock the log file's rotation lock is judged and waited for by (default the system clock). */
  clock?: Clock;
  /** A line drawn on the same terminal (a sync's progress): cleared before each readable line, drawn again after. */
  screen?: ScreenLine | undefined;
}

/** A line kept at the bottom of the terminal that log lines must not run into. */
export interface ScreenLine {
  hide(): void;
  show(): void;
}

/** Readable lines on the terminal. With a screen line, each is formatted and written at once, the line cleared. */
function readableOut(options: LoggerOptions): DestinationStream {
  const prettyOptions = {
    colorize: options.color,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,event',
    messageFormat: '{event} {msg}',
    // Each message already names the profile, account and role. (With singleLine as well, pino-pretty ends
    // no line: its newline for single lines comes after the object, which is hidden.)
    hideObject: true,
  };
  const { screen } = options;
  if (!screen) return pretty({ destination: options.fd, sync: true, ...prettyOptions });
  const format = prettyFactory(prettyOptions);
  const sink = pino.destination({ dest: options.fd, sync: true });
  return {
    write(line: string): void {
      const text = format(line);
      screen.hide();
      sink.write(text);
      screen.show();
    },
  };
}

/** Creates the process's logger. */
export function createLogger(options: LoggerOptions): Logger {
  const out: DestinationStream = options.human
    ? readableOut(options)
    : pino.destination({ dest: options.fd, sync: true });
  const level = options.level ?? 'info';
  if (!options.file) return pino(pinoOptions(level), out);

  const fileOptions = options.file;
  const { out: outLevel, file: fileLevel } = levelsOf(level);
  // A failed write's report reaches only the output (the file failed); see openReportedLogFile.
  const file = openReportedLogFile(fileOptions, () => log, options.clock);
  // One serialisation (so one redaction) feeds both: pino hands each line's level to a stream that asks for it.
  const both = {
    [pino.symbols.needsMetadataGsym]: true as const,
    lastLevel: 0,
    write(line: string): void {
      const lineLevel = this.lastLevel;
      // The file first: a line that reached the output is always in the file too, even if a signal ends the process.
      if (lineLevel >= fileLevel) file.write(line);
      if (lineLevel >= outLevel) out.write(line);
    },
  };
  // The file reports (above) only while lines are written, so after `log` exists.
  const log = pino(pinoOptions(outLevel > fileLevel ? labelOf(fileLevel) : level), both);
  return log;
}

/** The name of a level's number. */
function labelOf(value: number): string {
  const label = pino.levels.labels[value];
  if (label === undefined) throw new Error(`unknown log level ${value}`);
  return label;
}

/** pino's options for every sso-sync logger: the shape log-lines.ts writes too (its test holds the two together). */
export function pinoOptions(level: string): pino.LoggerOptions {
  return {
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    // pino's paths take one `*` per level: secrets are censored up to three levels deep.
    redact: { paths: secretKeys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]), censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
}
