/**
 * The portal API, as sso-sync uses it: two calls. The interface is owned here so that the sync depends on
 * these two calls, not on the SDK.
 */
import { paginateListAccountRoles, paginateListAccounts, SSOClient } from '@aws-sdk/client-sso';
import type { Clock } from '../clock/clock.js';
import { AdaptivePacer } from './pacer.js';
import { PacedRetryStrategy } from './retry-strategy.js';

/** An account as ListAccounts returns it. */
export interface AccountInfo {
  accountId: string;
  accountName: string;
}

/** The two portal calls a sync makes. */
export interface SsoApi {
  listAccounts(accessToken: string): Promise<AccountInfo[]>;
  listAccountRoles(accessToken: string, accountId: string): Promise<string[]>;
  /** Requests sent (retries included), retries and throttled answers so far. */
  stats(): { requests: number; retries: number; throttled: number };
}

/** The largest page the portal API serves. */
const pageSize = 100;

/**
 * An SsoApi on the SDK's SSO client for one region. The endpoint comes from the SDK's own resolution, so
 * `AWS_ENDPOINT_URL_SSO` points it at the emulator. One pacer spans both calls: they share the service's rate.
 */
export function createSsoApi(region: string, clock: Clock, options: { requestTimeoutMs?: number } = {}): SsoApi {
  const pacer = new AdaptivePacer(clock);
  const retryStrategy = new PacedRetryStrategy(pacer, clock);
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
    async listAccounts(accessToken) {
      const accounts: AccountInfo[] = [];
      for await (const page of paginateListAccounts({ client, pageSize }, { accessToken })) {
        for (const a of page.accountList ?? [])
          accounts.push({ accountId: a.accountId ?? '', accountName: a.accountName ?? '' });
      }
      return accounts;
    },
    async listAccountRoles(accessToken, accountId) {
      const roles: string[] = [];
      for await (const page of paginateListAccountRoles({ client, pageSize }, { accessToken, accountId })) {
        for (const r of page.roleList ?? []) roles.push(r.roleName ?? '');
      }
      return roles;
    },
    stats() {
      const p = pacer.stats();
      return { requests: p.requests, retries: retryStrategy.retries, throttled: p.throttled };
    },
  };
}
