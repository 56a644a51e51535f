/**
 * The file watcher at the edge (chokidar): the daemon's watches of the AWS config, the settings file and the token
 * cache. Event-driven, nothing polls.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import chokidar from 'chokidar';

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
 * created first (0700): chokidar does not see a directory that appears after the watch began.
 */
export function watchFiles(paths: readonly WatchedPath[], onChange: (file: string) => void): Watch {
  const dirs = [...new Set(paths.map((p) => (p.kind === 'file' ? path.dirname(p.path) : p.path)))];
  for (const dir of dirs) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const watcher = chokidar.watch(dirs, { ignoreInitial: true, depth: 0 }).on('all', (_event, file) => onChange(file));
  return { close: () => watcher.close() };
}
