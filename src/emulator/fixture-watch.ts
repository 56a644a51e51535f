/**
 * Watches a `--fixture` file while the emulator runs and hands each valid save to the emulator; a save that is not a
 * valid fixture is reported and the previous fixture stays.
 *
 * chokidar rather than fs.watch: fs.watch on a file follows its inode, so the first save of an editor that writes a
 * new file and renames it over the old one (vim, `sed -i`, most IDEs' "safe write") ends the watch on Linux, and
 * fs.watch on the directory reports names and event kinds differently on each platform; chokidar, which the daemon
 * already uses for the AWS config, smooths both. The debounce is ours: one save is several events (truncate, write,
 * rename), and reading between them would report a half-written file as invalid.
 */
import path from 'node:path';
import chokidar from 'chokidar';
import { FixtureError, loadFixture, type Fixture } from './fixture.js';
import { errorMessage } from '../errors.js';

/** What the watch reports. */
export interface FixtureWatchEvents {
  /** A save that holds a valid fixture. */
  reloaded(fixture: Fixture): void;
  /** A save that cannot be used, each problem with its location in the file (or why the file cannot be read). */
  refused(problems: string[]): void;
}

/** A running watch. */
export interface FixtureWatch {
  /** Ends the watch; no event is reported after it resolves. */
  close(): Promise<void>;
}

/** How long a file must stay quiet after an event before it is read. */
const DEFAULT_QUIET_MS = 150;

/**
 * Starts watching `file` and resolves once the watch is in place, so that a save made after that is seen. The
 * file's directory is watched (only that file's events count), so a file replaced by a rename, or deleted and
 * written again, is still seen.
 */
export async function watchFixture(
  file: string,
  events: FixtureWatchEvents,
  quietMs = DEFAULT_QUIET_MS,
): Promise<FixtureWatch> {
  const target = path.resolve(file);
  const dir = path.dirname(target);
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  // Loads run one after another, so a slow read never reports after a later one.
  let loading = Promise.resolve();

  const load = async (): Promise<void> => {
    let outcome: { fixture: Fixture } | { problems: string[] };
    try {
      outcome = { fixture: await loadFixture(file) };
    } catch (error) {
      outcome = { problems: error instanceof FixtureError ? error.problems : [errorMessage(error)] };
    }
    if (closed) return;
    if ('fixture' in outcome) events.reloaded(outcome.fixture);
    else events.refused(outcome.problems);
  };

  const watcher = chokidar.watch(dir, {
    ignoreInitial: true,
    depth: 0,
    // Only the directory itself (to list it) and the fixture: a big directory's other files cost nothing.
    ignored: (candidate: string) => candidate !== dir && candidate !== target,
  });
  watcher.on('all', (_event, changed) => {
    if (closed || path.resolve(changed) !== target) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      loading = loading.then(load);
    }, quietMs);
  });
  watcher.on('error', (error: unknown) => {
    if (!closed) events.refused([`watching the file failed: ${errorMessage(error)}`]);
  });
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));

  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      await watcher.close();
      await loading;
    },
  };
}
