/**
 * Whether a cached token can be refreshed, and with what: apart from the token keeper (token-keeper.ts), so that
 * what only asks (the daemon's token timers, `status`) does not load the keeper and the OIDC client's module.
 */
import type { CachedToken } from '../token/cache.js';
import { formatCacheTime } from '../token/cache.js';
import type { RefusedRefreshes } from './refused-refreshes.js';

/** What a refresh is made with: the client registration and the refresh token. */
export interface RefreshInputs {
  registration: { clientId: string; clientSecret: string };
  refreshToken: string;
}

/** Why a refresh token the service refused before is not sent again. */
const refusedBlocker = 'holds a refresh token the service already refused (only a new sign-in helps)';

/** What a cached token can be refreshed with, or why it cannot be. */
export function refreshInputs(
  token: CachedToken,
  now: Date,
  refused?: RefusedRefreshes,
): RefreshInputs | { blocker: string } {
  const { refreshToken, clientId, clientSecret, registrationExpiresAt } = token;
  if (!refreshToken) return { blocker: 'holds no refresh token (it came from a sign-in that did not issue one)' };
  if (refused?.has(refreshToken)) return { blocker: refusedBlocker };
  if (!clientId || !clientSecret) return { blocker: 'holds no client registration to refresh with' };
  if (registrationExpiresAt && registrationExpiresAt.getTime() <= now.getTime()) {
    return { blocker: `holds a client registration that expired at ${formatCacheTime(registrationExpiresAt)}` };
  }
  return { registration: { clientId, clientSecret }, refreshToken };
}

/** Why a cached token cannot be refreshed (with `refused`: also one whose refresh token was refused), if it cannot. */
export function refreshBlocker(token: CachedToken, now: Date, refused?: RefusedRefreshes): string | undefined {
  const inputs = refreshInputs(token, now, refused);
  return 'blocker' in inputs ? inputs.blocker : undefined;
}
