/**
 * The role lists of a session's accounts as the portal last gave them, kept between scheduled cycles in the state
 * directory (`roles/<session>.json`, 0600, replaced atomically), so that a cycle lists roles only for the accounts
 * that are new or due. A file that is damaged, of another start URL or unreadable is never trusted: it is reported
 * and the cycle does a full scan, which writes it anew.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { SessionDef, UnusableEntry } from '../core/types.js';
import { errorCode, errorMessage } from '../errors.js';
import { readRegularFile } from '../fs/read-regular-file.js';
import { replaceFile } from '../fs/replace-file.js';
import { roleCacheFile } from '../paths.js';
import { checkRoleCacheFile } from './role-cache-shape.js';

/** One account's roles, the entries of its listing that could not be used, and when they were listed. */
export interface CachedRoles {
  roles: string[];
  unusable: UnusableEntry[];
  /** Milliseconds since the epoch. */
  listedAt: number;
}

/** A session's role lists. */
export interface RoleCache {
  /** When a cycle last listed the roles of every account (ms since the epoch). */
  fullScanAt: number;
  accounts: Map<string, CachedRoles>;
}

/** What reading the cache found: a cache to use, none yet, or one that is not used and why. */
export type RoleCacheRead =
  { state: 'ok'; cache: RoleCache } | { state: 'missing' } | { state: 'ignored'; file: string; why: string };

const format = 1;

/** Reads a session's cache; never throws. Another session's or start URL's file is `ignored`, as is a damaged one. */
export async function readRoleCache(stateDir: string, session: SessionDef): Promise<RoleCacheRead> {
  const file = roleCacheFile(stateDir, session.name);
  let text: string;
  try {
    text = (await readRegularFile(file)).text;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { state: 'missing' };
    return { state: 'ignored', file, why: `it cannot be read (${errorCode(error) ?? errorMessage(error)})` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { state: 'ignored', file, why: 'it is not valid JSON (damaged or cut short)' };
  }
  const checked = checkRoleCacheFile(json);
  if ('problem' in checked) {
    const { where, message } = checked.problem;
    const why = `it is not a role cache of this version (${where || 'the top level'}: ${message})`;
    return { state: 'ignored', file, why };
  }
  const data = checked.file;
  if (data.session !== session.name || data.startUrl !== session.startUrl) {
    return {
      state: 'ignored',
      file,
      why: `it belongs to ${data.startUrl} (sso-session ${data.session}), not ${session.startUrl}`,
    };
  }
  const accounts = new Map(
    Object.entries(data.accounts).map(([id, a]) => [
      id,
      { roles: a.roles, unusable: a.unusable ?? [], listedAt: Date.parse(a.listedAt) },
    ]),
  );
  return { state: 'ok', cache: { fullScanAt: Date.parse(data.fullScanAt), accounts } };
}

/** Writes a session's cache atomically, 0600, in a 0700 directory. */
export async function writeRoleCache(stateDir: string, session: SessionDef, cache: RoleCache): Promise<void> {
  const file = roleCacheFile(stateDir, session.name);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const accounts = Object.fromEntries(
    [...cache.accounts].map(([id, a]) => [
      id,
      {
        roles: a.roles,
        ...(a.unusable.length > 0 ? { unusable: a.unusable } : {}),
        listedAt: new Date(a.listedAt).toISOString(),
      },
    ]),
  );
  const data = {
    format,
    session: session.name,
    startUrl: session.startUrl,
    fullScanAt: new Date(cache.fullScanAt).toISOString(),
    accounts,
  };
  await replaceFile(file, `${JSON.stringify(data)}\n`, 0o600);
}

/** The oldest role list of a cache (ms since the epoch), or undefined when it holds none. */
export function oldestListing(cache: RoleCache): number | undefined {
  let oldest: number | undefined;
  for (const a of cache.accounts.values()) if (oldest === undefined || a.listedAt < oldest) oldest = a.listedAt;
  return oldest;
}
