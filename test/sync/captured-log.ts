/** A logger whose lines are kept as parsed objects, every level included, for tests of what a sync logs. */
import { pino, type Logger } from 'pino';

/** One JSON log line as pino writes it. */
export interface LogLine {
  level: number;
  event?: string;
  msg: string;
  [key: string]: unknown;
}

/** pino's level numbers, by name. */
export const levels = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** A logger at the lowest level, and the lines it wrote. */
export function capturedLog(): { log: Logger; lines: LogLine[]; events: () => (string | undefined)[] } {
  const lines: LogLine[] = [];
  const log = pino({ level: 'trace' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { log, lines, events: () => lines.map((l) => l.event) };
}
