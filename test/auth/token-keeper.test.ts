/** The token keeper in process against the emulator: one refresh per session however many syncs ask at once. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { TokenKeeper } from '../../src/auth/token-keeper.js';
import { createOidcApi } from '../../src/aws/oidc-api.js';
import { systemClock } from '../../src/clock/clock.js';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { startEmulator } from '../../src/emulator/server.js';
import { readToken, writeToken } from '../../src/token/cache.js';
import { tempDir } from '../helpers/temp-dir.js';

const session = {
  name: 'mycorp',
  startUrl: 'https://d-1234567890.awsapps.com/start',
  region: 'eu-north-1',
  scopes: ['sso:account:access'],
};

test('concurrent callers share one refresh; the cache then holds the refreshed token', async (t) => {
  const emulator = await startEmulator({ fixture: builtinFixture(), latencyMs: 50 });
  t.after(() => emulator.stop());
  const home = tempDir(t, 'sso-sync-keeper-');
  const env = { AWS_ENDPOINT_URL_SSO_OIDC: emulator.url };
  const oidc = createOidcApi('eu-north-1', env);
  const registration = await oidc.registerClient({
    clientName: 'test',
    scopes: session.scopes,
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: ['http://127.0.0.1/oauth/callback'],
  });
  // A refresh token needs a real sign-in: approve the authorization code flow as a browser would.
  const verifier = 'v'.repeat(64);
  const challenge = (await import('node:crypto')).createHash('sha256').update(verifier).digest('base64url');
  const authorize = new URL(`${emulator.url}/authorize`);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: registration.clientId,
    redirect_uri: 'http://127.0.0.1:1/oauth/callback',
    state: 's',
    code_challenge_method: 'S256',
    code_challenge: challenge,
  }).toString();
  const code = new URL((await fetch(authorize, { redirect: 'manual' })).headers.get('location')!).searchParams.get(
    'code',
  )!;
  const grant = await oidc.createToken(registration, {
    grantType: 'authorization_code',
    code,
    codeVerifier: verifier,
    redirectUri: 'http://127.0.0.1:1/oauth/callback',
  });
  await writeToken(home, 'mycorp', {
    startUrl: session.startUrl,
    region: session.region,
    accessToken: grant.accessToken,
    expiresAt: new Date(Date.now() + 60_000),
    clientId: registration.clientId,
    clientSecret: registration.clientSecret,
    registrationExpiresAt: registration.expiresAt,
    refreshToken: grant.refreshToken,
    other: {},
  });

  const keeper = new TokenKeeper({
    home,
    clock: systemClock,
    log: pino({ level: 'silent' }),
    oidc: () => oidc,
    refreshWindowMs: 30 * 60_000,
    lockDir: path.join(home, 'locks'),
  });
  const before = emulator.stats().byRoute.token ?? 0;
  const tokens = await Promise.all(Array.from({ length: 5 }, () => keeper.tokenForSync(session)));
  assert.equal((emulator.stats().byRoute.token ?? 0) - before, 1, 'one CreateToken for five callers');
  assert.equal(new Set(tokens.map((x) => x.accessToken)).size, 1);
  assert.notEqual(tokens[0]!.accessToken, grant.accessToken);
  assert.equal((await readToken(home, 'mycorp')).accessToken, tokens[0]!.accessToken);
});
