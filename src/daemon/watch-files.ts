/**
 * The file watcher at the edge (Node's fs.watch: inotify on Linux, FSEvents on macOS): the daemon's watches of the
 * AWS config, the settings file and the token cache. Event-driven, nothing polls.
 */
import { existsSync, mkdirSync, readdirSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

/** A path to watch, and whether it is a file or a directory (a name says neither: `~/s.yml`, `settings`). */
export interface WatchedPath {
  path: string;
  kind: 'file' | 'dir';
}

/** A watch running until it is closed. */
export interface Watch {
  close(): Promise<void>;
}

/**
 * Watches the paths; `onChange` hears of every file added, changed or removed in them. A file's directory is
 * watched (not the file), so that a file created later or replaced by a rename is seen. The directories are
 * created first (0700). Their parents are watched too, for a directory removed and made again (`rm -rf
 * ~/.aws/sso/cache`, then `aws sso login`): the new directory is watched, and each file already in it is told as
 * changed.
 */
export function watchFiles(paths: readonly WatchedPath[], onChange: (file: string) => void): Watch {
  const dirs = [...new Set(paths.map((p) => path.resolve(p.kind === 'file' ? path.dirname(p.path) : p.path)))];
  for (const dir of dirs) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const watches = new Map<string, FSWatcher>();
  const watchDir = (dir: string): boolean => {
    watches.get(dir)?.close();
    watches.delete(dir);
    try {
      const watcher = watch(dir, (_event, name) => {
        if (name !== null) onChange(path.join(dir, name));
      });
      // A directory removed ends its watch; its parent's watch sees it made again.
      watcher.on('error', () => watcher.close());
      watches.set(dir, watcher);
      return true;
    } catch {
      return false; // Gone again before the watch began: its next appearance is heard of the same way.
    }
  };
  /**
   * Its parent says something of the directory: if it is there, it may be a new one (its removal and making again
   * can reach here as one event), so it is watched anew and every file in it told; telling a file that did not
   * change costs the daemon a read.
   */
  const comeBack = (dir: string) => {
    if (!existsSync(dir) || !watchDir(dir)) return;
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      // Gone again: nothing in it to tell.
    }
    for (const name of names) onChange(path.join(dir, name));
  };
  for (const dir of dirs) watchDir(dir);
  const parents = [...new Set(dirs.map((d) => path.dirname(d)))].filter((p) => !dirs.includes(p));
  const parentWatches = parents.flatMap((parent) => {
    try {
      const watcher = watch(parent, (_event, name) => {
        if (name === null) return;
        const dir = path.join(parent, name);
        if (dirs.includes(dir)) comeBack(dir);
      });
      watcher.on('error', () => watcher.close());
      return [watcher];
    } catch {
      return [];
    }
  });
  return {
    close: () => {
      for (const watcher of watches.values()) watcher.close();
      for (const watcher of parentWatches) watcher.close();
      return Promise.resolve();
    },
  };
}
