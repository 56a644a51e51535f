/**
 * What the last full load of a settings file found, kept with the file's path, its whole text and the versions of
 * sso-sync and Node in `$XDG_CACHE_HOME/sso-sync/settings.json`, for the last few files loaded: the settings as the
 * schema checked them (before defaults), and their sessions. Checking the file fully (YAML, the schema, the cron check)
 * takes a command more time than most of the rest of its work (about 25 ms of `--once`, and more than all of `status`),
 * and the file rarely changes: so every command uses this while the settings file's text is exactly the one kept, and
 * loads the file fully otherwise (no cache, another text, another version of sso-sync or Node, a damaged cache), which
 * writes it anew. The check is a function of the text, the path and the checker alone (nothing it reads depends on the
 * environment, the clock or other files), so an equal text gives an equal result; the text itself is kept rather than a
 * hash of it because it is short, and a hash would load node:crypto. A file that does not pass the check is never kept:
 * every read of it is a full one, which reports it. The cache is only ever written whole by sso-sync (replaced
 * atomically, 0600): what it holds was checked when it was kept. A cache file or directory that is not this user's
 * alone is neither read nor written (see ownedAlone).
 */
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SessionDef } from '../core/types.js';
import { replaceFile } from '../fs/replace-file.js';
import { settingsCacheFile } from '../paths.js';
import type { RawSettings } from './schema.js';

/** What the full load of one settings file found. */
interface Entry {
  /** The settings file, an absolute path. */
  file: string;
  text: string;
  /** The settings as the schema gave them (plain data: strings, numbers, booleans, arrays and objects). */
  checked: RawSettings;
  /** Their sessions, for `status`, which does not load the rest of the settings' code. */
  sessions: SessionDef[];
}

/** The cache file's content: the files loaded last first. */
interface SettingsCache {
  format: 2;
  version: string;
  entries: Entry[];
}

/**
 * How many settings files are kept: more than one, so that runs with `--settings` beside the default file do not
 * take each other's place; a few, since each is read whole at every status.
 */
const kept = 4;

/**
 * What checked the settings: sso-sync's version (the schema and the defaults may change with it) and Node's (whose
 * regular expressions decide which `account_trim` and `role_trim` pass, and the service may run another Node than the
 * shell). A cache made by another is not used.
 */
async function checkerVersion(): Promise<string> {
  // The package's root is three levels above this module in both builds (dist/src/settings, dist/src/cli).
  const text = await readFile(new URL('../../../package.json', import.meta.url), 'utf8');
  return `${String((JSON.parse(text) as { version?: unknown }).version)} on Node ${process.version}`;
}

const isStrings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((s) => typeof s === 'string');

function isSession(value: unknown): value is SessionDef {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  return (
    typeof s.name === 'string' && typeof s.startUrl === 'string' && typeof s.region === 'string' && isStrings(s.scopes)
  );
}

function isEntry(value: unknown): value is Entry {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    typeof e.file === 'string' &&
    typeof e.text === 'string' &&
    typeof e.checked === 'object' &&
    e.checked !== null &&
    Array.isArray(e.sessions) &&
    e.sessions.every(isSession)
  );
}

/**
 * Whether a file or directory is this user's and nobody else's to write. The settings taken from the cache reach the
 * AWS config (a `credential_process`, say), and a cache file is written where it is found: so a cache another user
 * could have made or changed, or could make sso-sync write through (a cache directory under a shared temp directory,
 * made by someone else first), is neither read nor written.
 */
function ownedAlone(info: Stats): boolean {
  const uid = process.getuid?.();
  return (uid === undefined || info.uid === uid) && (info.mode & 0o022) === 0;
}

/** Whether the cache's directory is a directory (not a link to one) that is this user's alone. */
async function usableDir(dir: string): Promise<boolean> {
  const info = await lstat(dir).catch(() => undefined);
  return info !== undefined && info.isDirectory() && ownedAlone(info);
}

/** Opened for reading without following a link, and without waiting on a named pipe. */
const readFlags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * The cache's content when it has the shape written below and it and its directory are this user's alone; undefined
 * when missing, unreadable, damaged, not a file, or another's.
 */
async function readCache(env: NodeJS.ProcessEnv): Promise<SettingsCache | undefined> {
  try {
    const file = settingsCacheFile(env);
    if (!(await usableDir(path.dirname(file)))) return undefined;
    const handle = await open(file, readFlags);
    let text: string;
    try {
      const info = await handle.stat();
      if (!info.isFile() || !ownedAlone(info)) return undefined;
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
    const data = JSON.parse(text) as Partial<SettingsCache> | null;
    const fine =
      data?.format === 2 &&
      typeof data.version === 'string' &&
      Array.isArray(data.entries) &&
      data.entries.every(isEntry);
    return fine ? (data as SettingsCache) : undefined;
  } catch {
    return undefined;
  }
}

/** The entry kept for the settings file `file` (an absolute path) when its text was `text`, for these versions. */
async function entryOf(env: NodeJS.ProcessEnv, file: string, text: string): Promise<Entry | undefined> {
  const cache = await readCache(env);
  const entry = cache?.entries.find((e) => e.file === file);
  if (entry?.text !== text) return undefined;
  if (cache?.version !== (await checkerVersion().catch(() => undefined))) return undefined;
  return entry;
}

/**
 * The sessions a full load of the settings file `file` (an absolute path) found when its text was `text`, if the
 * cache holds them for these versions of sso-sync and Node; undefined otherwise.
 */
export async function cachedSessions(
  env: NodeJS.ProcessEnv,
  file: string,
  text: string,
): Promise<SessionDef[] | undefined> {
  const entry = await entryOf(env, file, text);
  return entry?.sessions.map(({ name, startUrl, region, scopes }) => ({ name, startUrl, region, scopes }));
}

/** The settings the schema gave for `file` when its text was `text`, if the cache holds them for these versions. */
export async function cachedSettings(
  env: NodeJS.ProcessEnv,
  file: string,
  text: string,
): Promise<RawSettings | undefined> {
  return (await entryOf(env, file, text))?.checked;
}

/**
 * Keeps what a full load found, first, with the entries of up to 3 other files (0600, in a 0700 directory,
 * replaced atomically), unless the cache holds it already. Never fails: a cache that cannot be written only means
 * the next command loads the file fully.
 */
export async function keepSettings(
  env: NodeJS.ProcessEnv,
  file: string,
  text: string,
  checked: RawSettings,
  sessions: readonly SessionDef[],
): Promise<void> {
  try {
    const version = await checkerVersion();
    const cache = await readCache(env);
    const others = cache?.version === version ? cache.entries.filter((e) => e.file !== file) : [];
    const data: SettingsCache = {
      format: 2,
      version,
      entries: [{ file, text, checked, sessions: [...sessions] }, ...others].slice(0, kept),
    };
    const json = `${JSON.stringify(data)}\n`;
    if (cache && `${JSON.stringify(cache)}\n` === json) return;
    const cacheFile = settingsCacheFile(env);
    await mkdir(path.dirname(cacheFile), { recursive: true, mode: 0o700 });
    if (!(await usableDir(path.dirname(cacheFile)))) return;
    await replaceFile(cacheFile, json, 0o600);
  } catch {
    // Only slower: the next command loads the settings file fully, and tries to keep them again.
  }
}
