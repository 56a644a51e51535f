/**
 * The sessions of a settings file as the last full load of it found them, kept with the file's path, its whole
 * text and sso-sync's version in `$XDG_CACHE_HOME/sso-sync/settings-sessions.json`, for the last few files loaded.
 * `status` and the completion need only the sessions, and checking the file fully (YAML, the schema, the cron
 * check) would cost them more start-up time than all the rest of their work; so they use this when the settings
 * file's text is exactly the one kept, and load the file fully otherwise (no cache, another text, another version,
 * a damaged cache), which writes it anew. The full load is a function of the text and the path alone, so an equal
 * text gives an equal result; the text itself is kept rather than a hash of it because it is short, and a hash
 * would load node:crypto. A file that does not pass the check is never kept: every read of it is a full one, which
 * reports it.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SessionDef } from '../core/types.js';
import { replaceFile } from '../fs/replace-file.js';
import { settingsCacheFile } from '../paths.js';

/** What the full load of one settings file found. */
interface Entry {
  /** The settings file, an absolute path. */
  file: string;
  text: string;
  sessions: SessionDef[];
}

/** The cache file's content: the files loaded last first. */
interface SessionsCache {
  format: 1;
  version: string;
  entries: Entry[];
}

/**
 * How many settings files are kept: more than one, so that runs with `--settings` beside the default file do not
 * take each other's place; a few, since each is read whole at every status.
 */
const kept = 4;

/** sso-sync's version: the schema and the defaults may change with it, and a cache of another version is not used. */
async function ssoSyncVersion(): Promise<string> {
  // The package's root is three levels above this module in both builds (dist/src/settings, dist/src/cli).
  const text = await readFile(new URL('../../../package.json', import.meta.url), 'utf8');
  return String((JSON.parse(text) as { version?: unknown }).version);
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
    typeof e.file === 'string' && typeof e.text === 'string' && Array.isArray(e.sessions) && e.sessions.every(isSession)
  );
}

/** The cache's content when it has the shape written below; undefined when missing, unreadable or damaged. */
async function readCache(env: NodeJS.ProcessEnv): Promise<SessionsCache | undefined> {
  try {
    const data = JSON.parse(await readFile(settingsCacheFile(env), 'utf8')) as Partial<SessionsCache> | null;
    const fine =
      data?.format === 1 &&
      typeof data.version === 'string' &&
      Array.isArray(data.entries) &&
      data.entries.every(isEntry);
    return fine ? (data as SessionsCache) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The sessions a full load of the settings file `file` (an absolute path) found when its text was `text`, if the
 * cache holds them for this version of sso-sync; undefined otherwise.
 */
export async function cachedSessions(
  env: NodeJS.ProcessEnv,
  file: string,
  text: string,
): Promise<SessionDef[] | undefined> {
  const cache = await readCache(env);
  const entry = cache?.entries.find((e) => e.file === file);
  if (entry?.text !== text) return undefined;
  if (cache?.version !== (await ssoSyncVersion().catch(() => undefined))) return undefined;
  return entry.sessions.map(({ name, startUrl, region, scopes }) => ({ name, startUrl, region, scopes }));
}

/**
 * Keeps what a full load found, first, with the entries of up to 3 other files (0600, in a 0700 directory,
 * replaced atomically), unless the cache holds it already. Never fails: a cache that cannot be written only means
 * the next `status` loads the file fully.
 */
export async function keepSessions(
  env: NodeJS.ProcessEnv,
  file: string,
  text: string,
  sessions: readonly SessionDef[],
): Promise<void> {
  try {
    const version = await ssoSyncVersion();
    const cache = await readCache(env);
    const others = cache?.version === version ? cache.entries.filter((e) => e.file !== file) : [];
    const data: SessionsCache = {
      format: 1,
      version,
      entries: [{ file, text, sessions: [...sessions] }, ...others].slice(0, kept),
    };
    const json = `${JSON.stringify(data)}\n`;
    if (cache && `${JSON.stringify(cache)}\n` === json) return;
    const cacheFile = settingsCacheFile(env);
    await mkdir(path.dirname(cacheFile), { recursive: true, mode: 0o700 });
    await replaceFile(cacheFile, json, 0o600);
  } catch {
    // Only slower: the next status loads the settings file fully, and tries to keep them again.
  }
}
