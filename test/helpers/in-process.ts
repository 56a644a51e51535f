/** A sync run in this process (no CLI child) against the emulator: the home it syncs, its token, its dependencies. */
import path from 'node:path';
import { pino } from 'pino';
import { TokenKeeper } from '../../src/auth/token-keeper.js';
import { createOidcApi } from '../../src/aws/oidc-api.js';
import { createSsoApi } from '../../src/aws/sso-api.js';
import { systemClock } from '../../src/clock/clock.js';
import type { Emulator } from '../../src/emulator/server.js';
import type { SyncDeps } from '../../src/sync/run-once.js';
import { writeToken, type CachedToken } from '../../src/token/cache.js';

/**
 * Points this process's SSO client at the emulator until the test ends: the client reads its endpoint override
 * from the process environment, not from the env a sync is given.
 */
export function useEmulatorEndpoint(t: { after(fn: () => void): void }, emulator: Emulator): void {
  const previous = process.env.AWS_ENDPOINT_URL_SSO;
  process.env.AWS_ENDPOINT_URL_SSO = emulator.url;
  t.after(() => {
    if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_SSO;
    else process.env.AWS_ENDPOINT_URL_SSO = previous;
  });
}

/** A token for the cache with an access token only: no refresh token, no client, no other keys unless told. */
export function accessOnlyToken(
  token: Pick<CachedToken, 'startUrl' | 'region' | 'accessToken' | 'expiresAt'> & { other?: Record<string, unknown> },
): Omit<CachedToken, 'file'> {
  return {
    refreshToken: undefined,
    clientId: undefined,
    clientSecret: undefined,
    registrationExpiresAt: undefined,
    other: {},
    ...token,
  };
}

/** Writes a token the emulator accepts, valid for an hour, into `home`'s token cache for the session; returns it. */
export async function signInHome(
  emulator: Emulator,
  home: string,
  session: string,
  startUrl = 'https://d-1234567890.awsapps.com/start',
  region = 'eu-north-1',
): Promise<string> {
  const { accessToken, expiresAt } = emulator.issueAccessToken({ expiresInSeconds: 3600 });
  await writeToken(home, session, accessOnlyToken({ startUrl, region, accessToken, expiresAt }));
  return accessToken;
}

/**
 * runOnce's dependencies for a sync of `home` (its config `.aws/config`, its state in `state`, its settings in
 * `cfg`): the real SSO and OIDC clients, a token keeper with its locks in `locks`, a silent log, no output.
 * `extra` replaces any of them (the writer's test hooks, say).
 */
export function syncDeps(home: string, extra: Partial<SyncDeps> = {}): SyncDeps {
  const env = {
    HOME: home,
    AWS_CONFIG_FILE: path.join(home, '.aws', 'config'),
    XDG_STATE_HOME: path.join(home, 'state'),
    XDG_CONFIG_HOME: path.join(home, 'cfg'),
  };
  const log = pino({ level: 'silent' });
  return {
    env,
    clock: systemClock,
    log,
    createApi: (region) => createSsoApi(region, systemClock),
    createKeeper: (refreshWindowMs) =>
      new TokenKeeper({
        home,
        clock: systemClock,
        log,
        oidc: (r) => createOidcApi(r, env),
        refreshWindowMs,
        lockDir: path.join(home, 'locks'),
      }),
    out: () => undefined,
    ...extra,
  };
}
