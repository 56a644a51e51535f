/**
 * The daemon's three watches and their debounce: the AWS config, the settings file and the token cache, each
 * handled once a burst of events has ended. A handler's failure is logged; the watches go on.
 */
import path from 'node:path';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log/logger.js';
import { tokenCacheDir } from '../paths.js';
import { Debouncer } from './debouncer.js';
import type { Watch, WatchedPath } from './watch-files.js';

/** How long a path must stay quiet before its change is handled. */
export const debounceMs = 300;

/** What the watches need. */
export interface WatchersDeps {
  clock: Clock;
  log: Logger;
  home: string;
  configFile: string;
  settingsFile: string;
  watch(paths: WatchedPath[], onChange: (file: string) => void): Watch;
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
    this.watch = deps.watch(paths, (changed) => {
      const file = path.resolve(changed);
      const tokenFile = file.startsWith(cacheDir + path.sep) && file.endsWith('.json');
      if (file === config || file === settings || tokenFile) this.debouncer.event(file);
    });
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
