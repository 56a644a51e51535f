/**
 * The portal API, as sso-sync uses it: two calls. The interface is owned here so that the sync depends on
 * these two calls, not on the SDK.
 */
import { paginateListAccountRoles, paginateListAccounts, SSOClient } from '@aws-sdk/client-sso';
import type { Clock } from '../clock/clock.js';
import type { UnusableEntry } from '../core/types.js';
import { accountsOfPage, rolesOfPage, type AccountInfo } from './portal-answers.js';

export type { AccountInfo } from './portal-answers.js';
import { AdaptivePacer } from './pacer.js';
import { PacedRetryStrategy } from './retry-strategy.js';

/** The accounts of a listing, and the entries that could not be used. */
export interface AccountListing {
  accounts: AccountInfo[];
  unusable: UnusableEntry[];
}

/** The role names of an account's listing, and the entries that could not be used. */
export interface RoleListing {
  roles: string[];
  unusable: UnusableEntry[];
}

/** The two portal calls a sync makes. */
export interface SsoApi {
  /** Where the calls go (the region's portal, or AWS_ENDPOINT_URL_SSO), for messages. */
  endpoint(): string;
  /** Every account; `onPage` hears of each page's usable accounts as it comes, so work on them can start. */
  listAccounts(accessToken: string, onPage?: (accounts: AccountInfo[]) => void): Promise<AccountListing>;
  listAccountRoles(accessToken: string, accountId: string): Promise<RoleListing>;
  /** Requests sent (retries included), retries and throttled answers so far. */
  stats(): { requests: number; retries: number; throttled: number };
}

/** The largest page the portal API serves. */
const pageSize = 100;

/**
 * The most pages a listing may take. A real listing ends: 1,000 pages of 100 accounts is 100,000 accounts, several
 * times the largest organisations (AWS Organizations' quota is raised on request, into the thousands); 100 pages of
 * roles is 10,000 roles in one account, far above the permission sets one account can be assigned. A portal (or
 * something posing as it) that pages on for ever would otherwise hang the sync and grow its memory without end.
 */
export const maxPages = { accounts: 1_000, roles: 100 } as const;

/** A listing that does not end as a real one does: a next token given twice, or more pages than `maxPages`. */
export class PagingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PagingError';
  }
}

/**
 * The pages of a listing, stopped with a PagingError before a next token seen before is followed (a loop) or when
 * more than `max` pages came (a listing that never ends). Checked before the next page is asked for.
 */
async function* boundedPages<P extends { nextToken?: string | undefined }>(
  pages: AsyncIterable<P>,
  what: string,
  max: number,
): AsyncGenerator<P> {
  const seen = new Set<string>();
  let count = 0;
  for await (const page of pages) {
    count++;
    yield page;
    const next = page.nextToken;
    if (next === undefined || next === '') continue;
    if (seen.has(next)) throw new PagingError(`the portal gave the same next token twice while ${what}`);
    if (count >= max) throw new PagingError(`the portal was still paging after ${count} pages while ${what}`);
    seen.add(next);
  }
}

/** The portal endpoint for a region: `AWS_ENDPOINT_URL_SSO` when set (the SDK honours it too), else AWS's. */
export function portalEndpoint(region: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_ENDPOINT_URL_SSO || `https://portal.sso.${region}.amazonaws.com`;
}

/**
 * An SsoApi on the SDK's SSO client for one region. The endpoint comes from the SDK's own resolution, so
 * `AWS_ENDPOINT_URL_SSO` points it at the emulator. One pacer spans both calls: they share the service's rate;
 * `maxRate` caps it (a scheduled sync's pace).
 */
export function createSsoApi(
  region: string,
  clock: Clock,
  options: {
    requestTimeoutMs?: number;
    maxRate?: number | undefined;
    /** Told of each request sent again: `throttled` after "too many requests" (see PacedRetryStrategy). */
    onRetry?: ((throttled: boolean) => void) | undefined;
  } = {},
): SsoApi {
  const pacer = new AdaptivePacer(clock, options.maxRate === undefined ? {} : { maxRate: options.maxRate });
  const retryStrategy = new PacedRetryStrategy(pacer, clock, options.onRetry ? { onRetry: options.onRetry } : {});
  const client = new SSOClient({
    region,
    retryStrategy,
    // Without throwOnRequestTimeout the SDK only warns when requestTimeout passes, and the call waits for ever.
    requestHandler: {
      connectionTimeout: 5_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      throwOnRequestTimeout: true,
    },
  });
  return {
    endpoint: () => portalEndpoint(region),
    async listAccounts(accessToken, onPage) {
      const listing: AccountListing = { accounts: [], unusable: [] };
      const pages = paginateListAccounts({ client, pageSize }, { accessToken });
      for await (const page of boundedPages(pages, 'listing accounts', maxPages.accounts)) {
        const { accounts, unusable } = accountsOfPage(page);
        listing.accounts.push(...accounts);
        listing.unusable.push(...unusable);
        onPage?.(accounts);
      }
      return listing;
    },
    async listAccountRoles(accessToken, accountId) {
      const listing: RoleListing = { roles: [], unusable: [] };
      const pages = paginateListAccountRoles({ client, pageSize }, { accessToken, accountId });
      for await (const page of boundedPages(pages, `listing the roles of account ${accountId}`, maxPages.roles)) {
        const { roles, unusable } = rolesOfPage(page, accountId);
        listing.roles.push(...roles);
        listing.unusable.push(...unusable);
      }
      return listing;
    },
    stats() {
      const p = pacer.stats();
      return { requests: p.requests, retries: retryStrategy.retries, throttled: p.throttled };
    },
  };
}
