/**
 * Where every file sso-sync reads or writes is, from the environment: the AWS config, the settings, the AWS CLI's
 * token cache, and sso-sync's own state directory (logs, backups, registrations, locks, state.json, the pid file).
 * Nothing here touches the disk.
 */
import os from 'node:os';
import path from 'node:path';
import { shortSha1Hex } from './core/short-hash.js';

/** The home directory: `HOME`, else the account's. */
export function homeDir(env: NodeJS.ProcessEnv): string {
  return env.HOME || os.homedir();
}

/** The AWS config to manage: `AWS_CONFIG_FILE` (with `~` expanded, as the AWS CLI does) or `~/.aws/config`. */
export function configPath(env: NodeJS.ProcessEnv): string {
  const home = homeDir(env);
  const given = env.AWS_CONFIG_FILE;
  if (given) return path.resolve(given.replace(/^~(?=$|\/)/, home));
  return path.join(home, '.aws', 'config');
}

/** The XDG configuration directory: `XDG_CONFIG_HOME`, else `~/.config`. */
export function configHome(env: NodeJS.ProcessEnv): string {
  return env.XDG_CONFIG_HOME ? path.resolve(env.XDG_CONFIG_HOME) : path.join(homeDir(env), '.config');
}

/** Where the settings file is: `--settings`, else `SSO_SYNC_SETTINGS`, else the XDG config directory. */
export function settingsPath(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
): { file: string; explicit: boolean } {
  const given = explicit ?? env.SSO_SYNC_SETTINGS;
  if (given) return { file: path.resolve(given), explicit: true };
  return { file: path.join(configHome(env), 'sso-sync', 'settings.yaml'), explicit: false };
}

/** sso-sync's state directory: `$XDG_STATE_HOME/sso-sync`, else `~/.local/state/sso-sync`. */
export function stateDir(env: NodeJS.ProcessEnv): string {
  return path.join(env.XDG_STATE_HOME || path.join(homeDir(env), '.local', 'state'), 'sso-sync');
}

/** sso-sync's cache directory, `$XDG_CACHE_HOME/sso-sync`, else `~/.cache/sso-sync`: only what can be rebuilt. */
export function cacheDir(env: NodeJS.ProcessEnv): string {
  return path.join(
    env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(homeDir(env), '.cache'),
    'sso-sync',
  );
}

/** What the last full reads of settings files found, kept for the commands after them (settings/settings-cache.ts). */
export function settingsCacheFile(env: NodeJS.ProcessEnv): string {
  return path.join(cacheDir(env), 'settings.json');
}

/** The AWS CLI's SSO token cache directory, `~/.aws/sso/cache`, shared with the CLI. */
export function tokenCacheDir(home: string): string {
  return path.join(home, '.aws', 'sso', 'cache');
}

/** Where the AWS CLI keeps the token of an sso-session: its cache directory, the sha1 of the name, `.json`. */
export function tokenCachePath(home: string, session: string): string {
  const key = shortSha1Hex(session);
  return path.join(tokenCacheDir(home), `${key}.json`);
}

/** The log file every run appends to: `sso-sync.log` in the state directory. */
export function logFilePath(env: NodeJS.ProcessEnv): string {
  return path.join(stateDir(env), 'sso-sync.log');
}

/** Copies of the AWS config kept before a hand edit is replaced, or a change that could not be merged. */
export function backupsDir(state: string): string {
  return path.join(state, 'backups');
}

/** The per-session locks of token refreshes. */
export function locksDir(state: string): string {
  return path.join(state, 'locks');
}

/** The OIDC client registration kept for a session and a sign-in flow. */
export function registrationPath(state: string, session: string, flow: string): string {
  return path.join(state, 'registrations', `${session}.${flow}.json`);
}

/** The pid file of the daemon. */
export function pidFile(state: string): string {
  return path.join(state, 'daemon.pid');
}

/** The sync state `status` reads: each session's last sync and the daemon's next run. */
export function syncStateFile(state: string): string {
  return path.join(state, 'state.json');
}

/** The role lists of a session's accounts that scheduled cycles keep (see sync/role-cache.ts). */
export function roleCacheFile(state: string, session: string): string {
  return path.join(state, 'roles', `${session}.json`);
}

/** This installation's place in the schedule, drawn once (see daemon/schedule-offset.ts). */
export function scheduleOffsetFile(state: string): string {
  return path.join(state, 'schedule-offset.json');
}
