/** `sso-sync log`: the history of the profiles sso-sync added, removed or changed, read from its log files. */
import path from 'node:path';
import { ExitCode } from '../errors.js';
import { countHistory, filterHistory, formatHistory, historyJson, localMinute, parseHistory } from './history.js';
import { readLogFiles } from './log-files.js';
import { parseSince } from './since.js';
import { homeDir, logFilePath } from '../paths.js';

/** What `sso-sync log` was asked for. */
export interface LogCommandOptions {
  /**
   * Only what happened since then: a duration back from `now` (`30m`, `12h`, `7d`, `2w`) or a date. Default:
   * everything.
   */
  since?: string;
  /** Only this sso-session. */
  session?: string;
  /** One JSON object a line instead of readable lines. */
  json: boolean;
  env: NodeJS.ProcessEnv;
  now: Date;
  out: (text: string) => void;
}

/** Prints the history; returns the exit code. A `--since` it cannot read throws a usage error. */
export async function logCommand(options: LogCommandOptions): Promise<number> {
  const since = options.since === undefined ? undefined : parseSince(options.since, options.now);
  const file = logFilePath(options.env);
  const files = await readLogFiles(file);
  const { entries, damaged } = parseHistory(files.map((f) => f.text));
  const shown = filterHistory(entries, { since, session: options.session });

  if (options.json) {
    options.out(shown.map((e) => `${JSON.stringify(historyJson(e))}\n`).join(''));
    return ExitCode.ok;
  }

  const where = shortPath(file, options.env);
  const read = files.length > 1 ? `${where} and ${files.length - 1} rotated file${files.length > 2 ? 's' : ''}` : where;
  const skipped = damaged > 0 ? ` ${damaged} damaged line${damaged === 1 ? ' was' : 's were'} skipped.` : '';
  const filters = [
    since ? `since ${localMinute(since.getTime())}` : '',
    options.session !== undefined ? `for sso-session ${options.session}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  if (files.length === 0) {
    options.out(
      `No history yet: there is no log file at ${where}. Every sso-sync run (--once, login, the daemon) writes one.\n`,
    );
  } else if (entries.length === 0) {
    options.out(`No history yet: ${read} holds no profile added, removed, changed or renamed.${skipped}\n`);
  } else if (shown.length === 0) {
    options.out(
      `Nothing ${filters}. The history in ${read} has ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} ` +
        `from ${localMinute(entries[0]!.at)} to ${localMinute(entries.at(-1)!.at)}.${skipped}\n`,
    );
  } else {
    const summary =
      `${shown.length} entr${shown.length === 1 ? 'y' : 'ies'}${filters ? ` ${filters}` : ''}: ` +
      `${countHistory(shown)} (read from ${read}).${skipped}`;
    options.out(`${formatHistory(shown).join('\n')}\n${summary}\n`);
  }
  return ExitCode.ok;
}

/** A path under the home directory written with `~`, as a person types it. */
function shortPath(file: string, env: NodeJS.ProcessEnv): string {
  const home = homeDir(env);
  return file.startsWith(home + path.sep) ? `~${file.slice(home.length)}` : file;
}
