/** The logger at the edge: pino JSON lines, or readable lines on a terminal; secrets are censored by key. */
import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

/** Keys that could hold a secret, wherever they appear in a log object. */
export const secretKeys = ['accessToken', 'refreshToken', 'clientSecret', 'deviceCode', 'codeVerifier', 'authorizationCode', 'token'];

/** Options for the logger. */
export interface LoggerOptions {
  level?: string;
  /** Where lines go: a file descriptor (1 stdout, 2 stderr). */
  fd: 1 | 2;
  /** Readable lines instead of JSON (a terminal). */
  human: boolean;
  color: boolean;
}

/** Creates the process's logger. */
export function createLogger(options: LoggerOptions): Logger {
  const stream: DestinationStream = options.human
    ? pretty({
        destination: options.fd,
        sync: true,
        colorize: options.color,
        translateTime: 'SYS:HH:MM:ss',
        ignore: 'pid,hostname,event',
        messageFormat: '{event} {msg}',
        singleLine: true,
        hideObject: true, // each message already names the profile, account and role
      })
    : pino.destination({ dest: options.fd, sync: true });
  return pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      // pino's paths take one `*` per level: secrets are censored up to three levels deep.
      redact: { paths: secretKeys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]), censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}
