/**
 * How a session's roles are scanned in a cycle: a full scan lists every account's roles; an incremental one (a
 * scheduled cycle) lists the roles of new accounts and of the accounts due, and takes the others from the role
 * cache. After the listing, the cache is brought up to date: accounts that left are dropped, those listed now are
 * stamped with the cycle's time.
 */
import type { Logger } from '../log/logger.js';
import type { SessionDef } from '../core/types.js';
import type { FetchedAssignments, KnownRoles } from './fetch-assignments.js';
import { readRoleCache, writeRoleCache, type RoleCache } from './role-cache.js';
import { dueAccounts } from './roles-due.js';
import { warnCacheIgnored, warnCacheUnwritten } from './sync-log.js';

/**
 * The pace of an incremental (scheduled) scan, in requests per second; a full scan runs as fast as the portal
 * allows. Nobody waits for a scheduled sync, and a company's daemons share one portal: spread over a minute, the
 * cycle of a 2,000-account organisation (about 190 requests) keeps the busiest second of a fleet of 1,000 daemons
 * under twice the mean second, where at full speed it is three to four times (bench/discovery.ts). It also leaves
 * most of the portal's 20 requests/s to people and their other tools, and is never throttled.
 */
export const scheduledRate = 3;

/** How a run scans roles. */
export interface ScanOptions {
  /** The state directory, where the role caches are. */
  stateDir: string;
  /** The cycle's time (ms since the epoch): role lists listed now are stamped with it. */
  now: number;
  /** Scan incrementally where a usable cache exists (a scheduled cycle); otherwise every session fully. */
  incremental: boolean;
  /** Sessions scanned fully even in an incremental run (one just signed in to). */
  fullFor: readonly string[];
  maxAgeMs: number;
  /** Keep the role lists for the next cycle (not in a dry run). */
  keep: boolean;
}

/** How a session's scan went, for the `sync.completed` line. */
export interface ScanReport {
  /** The roles of every account were listed. */
  full: boolean;
  /** Requests sent to the portal, retries included. */
  requests: number;
  /** Accounts whose roles were listed. */
  rolesListed: number;
}

/** What a session's scan starts from: the cache (if one is used) and the choice of accounts it gives. */
export interface ScanStart {
  cache: RoleCache | undefined;
  known: KnownRoles | undefined;
}

/** Reads the session's cache when its scan is incremental; an unusable cache is reported and a full scan follows. */
export async function startScan(options: ScanOptions, session: SessionDef, log: Logger): Promise<ScanStart> {
  if (!options.incremental || options.fullFor.includes(session.name)) return { cache: undefined, known: undefined };
  const read = await readRoleCache(options.stateDir, session);
  if (read.state === 'ignored') warnCacheIgnored(log, session.name, read.file, read.why);
  if (read.state !== 'ok') return { cache: undefined, known: undefined };
  const { cache } = read;
  const listedAt = new Map([...cache.accounts].map(([id, a]) => [id, a.listedAt]));
  return {
    cache,
    known: {
      accounts: cache.accounts,
      choose: (accountIds) => dueAccounts({ accountIds, listedAt, now: options.now, maxAgeMs: options.maxAgeMs }).due,
    },
  };
}

/** The cache after a cycle: the accounts listed now, stamped `now`; the others as they were; those that left gone. */
export function nextCache(previous: RoleCache | undefined, fetched: FetchedAssignments, now: number): RoleCache {
  const accounts: RoleCache['accounts'] = new Map();
  for (const { accountId } of fetched.accounts) {
    const listed = fetched.listed.get(accountId);
    const kept = previous?.accounts.get(accountId);
    if (listed) accounts.set(accountId, { roles: listed.roles, unusable: listed.unusable, listedAt: now });
    else if (kept) accounts.set(accountId, kept);
  }
  const full = accounts.size === fetched.listed.size;
  return { fullScanAt: full || !previous ? now : previous.fullScanAt, accounts };
}

/** Ends a session's scan: keeps the cache for the next cycle (a failure to is only reported) and says how it went. */
export async function endScan(
  options: ScanOptions,
  session: SessionDef,
  start: ScanStart,
  fetched: FetchedAssignments,
  log: Logger,
  requests: number,
): Promise<ScanReport> {
  const cache = nextCache(start.cache, fetched, options.now);
  if (options.keep) {
    await writeRoleCache(options.stateDir, session, cache).catch((error: unknown) =>
      warnCacheUnwritten(log, session.name, options.stateDir, error),
    );
  }
  return { full: fetched.listed.size === cache.accounts.size, requests, rolesListed: fetched.listed.size };
}
