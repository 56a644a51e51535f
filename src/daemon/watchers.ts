/**
 * The daemon's three watches and their debounce: the AWS config, the settings file and the token cache, each
 * handled once a burst of events has ended. A handler's failure is logged; the watches go on.
 */
import path from 'node:path';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log/logger.js';
import { tokenCacheDir } from '../paths.js';
import { Debouncer } from './debouncer.js';
import type { Watch, WatchedPath, WatchProblem } from './watch-files.js';

/** How long a path must stay quiet before its change is handled. */
export const debounceMs = 300;

/** Says that a directory cannot be watched, why, and what to do; advice fitting the system's limits. */
function logWatchProblem(log: Logger, dir: string, error: NodeJS.ErrnoException): void {
  const limit =
    error.code === 'ENOSPC'
      ? 'fs.inotify.max_user_watches'
      : error.code === 'EMFILE'
        ? 'fs.inotify.max_user_instances'
        : undefined;
  const advice = limit
    ? `the system's limit of file watches is reached (${limit}; editors and other watchers share it): raise it ` +
      `(\`sudo sysctl ${limit}=524288\`, and in /etc/sysctl.d to keep it) and restart the daemon`
    : 'restart the daemon once the cause is fixed';
  log.warn(
    { event: 'watch.failed', dir, code: error.code },
    `cannot watch ${dir} (${error.code ?? error.message}): changes there are seen only at the next scheduled sync; ` +
      advice,
  );
}

/** What the watches need. */
export interface WatchersDeps {
  clock: Clock;
  log: Logger;
  home: string;
  configFile: string;
  settingsFile: string;
  watch(paths: WatchedPath[], onChange: (file: string) => void, problem: WatchProblem): Watch;
}

/** What is done when a watched path changed. */
export interface ChangeHandlers {
  config(): Promise<void>;
  settings(): Promise<void>;
  /** A file in the token cache directory. */
  token(file: string): Promise<void>;
}

/** The running watches: `halt()` drops the changes waiting for their debounce and any to come, `close()` ends them. */
export class Watchers {
  private readonly debouncer: Debouncer;
  private readonly watch: Watch;

  constructor(deps: WatchersDeps, handlers: ChangeHandlers) {
    const config = path.resolve(deps.configFile);
    const settings = path.resolve(deps.settingsFile);
    const cacheDir = path.resolve(tokenCacheDir(deps.home));
    this.debouncer = new Debouncer(deps.clock, debounceMs, (file) => {
      const work = file === config ? handlers.config() : file === settings ? handlers.settings() : handlers.token(file);
      work.catch((error: unknown) => deps.log.error({ event: 'daemon.error' }, String(error)));
    });
    const paths: WatchedPath[] = [
      { path: config, kind: 'file' },
      { path: settings, kind: 'file' },
      { path: cacheDir, kind: 'dir' },
    ];
    this.watch = deps.watch(
      paths,
      (changed) => {
        const file = path.resolve(changed);
        const tokenFile = file.startsWith(cacheDir + path.sep) && file.endsWith('.json');
        if (file === config || file === settings || tokenFile) this.debouncer.event(file);
      },
      (dir, error) => logWatchProblem(deps.log, dir, error),
    );
  }

  /** No change is handled any more (the daemon is stopping). */
  halt(): void {
    this.debouncer.stop();
  }

  /** Stops watching. */
  async close(): Promise<void> {
    this.halt();
    await this.watch.close();
  }
}
