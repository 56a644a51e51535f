/** The token keeper in process against the emulator: one refresh per session however many syncs ask at once. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { refreshLockPath, TokenKeeper } from '../../src/auth/token-keeper.js';
import { createOidcApi, type OidcApi, type TokenGrant } from '../../src/aws/oidc-api.js';
import { systemClock, type Clock } from '../../src/clock/clock.js';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { startEmulator, type Emulator } from '../../src/emulator/server.js';
import { readToken, writeToken } from '../../src/token/cache.js';
import { capturingLogger, leaveDeadLock } from '../fs/dead-lock.js';
import { tempDir } from '../helpers/temp-dir.js';

const session = {
  name: 'mycorp',
  startUrl: 'https://d-1234567890.awsapps.com/start',
  region: 'eu-north-1',
  scopes: ['sso:account:access'],
};

/**
 * An emulator, and a HOME whose token cache holds a token for `session` from a real sign-in (so with a refresh
 * token), valid one more minute: inside any refresh window.
 */
async function signedIn(
  t: TestContext,
): Promise<{ emulator: Emulator; home: string; oidc: OidcApi; grant: TokenGrant }> {
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
  const challenge = createHash('sha256').update(verifier).digest('base64url');
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
  return { emulator, home, oidc, grant };
}

test('concurrent callers share one refresh; the cache then holds the refreshed token', async (t) => {
  const { emulator, home, oidc, grant } = await signedIn(t);
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

test('a refresh lock left by a process killed while refreshing does not hold up the refresh, and is logged', async (t) => {
  const { emulator, home, oidc, grant } = await signedIn(t);
  const lockDir = path.join(home, 'locks');
  mkdirSync(lockDir, { recursive: true });
  const dead = leaveDeadLock(refreshLockPath(lockDir, 'mycorp'));
  const slept: number[] = [];
  const clock: Clock = {
    now: () => Date.now(),
    sleep: (ms) => {
      slept.push(ms);
      return systemClock.sleep(ms);
    },
  };
  const { log, lines } = capturingLogger();
  const keeper = new TokenKeeper({ home, clock, log, oidc: () => oidc, refreshWindowMs: 30 * 60_000, lockDir });
  const before = emulator.stats().byRoute.token ?? 0;
  const token = await keeper.tokenForSync(session);
  assert.equal((emulator.stats().byRoute.token ?? 0) - before, 1, 'refreshed');
  assert.notEqual(token.accessToken, grant.accessToken);
  assert.deepEqual(slept, [], 'no wait for the dead lock');
  const warnings = lines.filter((l) => l.event === 'lock.taken_over');
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.level, 40);
  assert.equal(warnings[0]!.lock, refreshLockPath(lockDir, 'mycorp'));
  assert.equal(warnings[0]!.reason, 'dead');
  assert.equal(warnings[0]!.holderPid, dead);
  assert.match(String(warnings[0]!.msg), new RegExp(`pid ${dead}, is gone`));
  assert.ok(!existsSync(refreshLockPath(lockDir, 'mycorp')), 'released after the refresh');
  assert.deepEqual(readdirSync(lockDir), []);
  assert.doesNotMatch(JSON.stringify(lines), new RegExp(token.accessToken), 'no token in the log');
});

test('a token cache file others can read is reported once, with the chmod that fixes it; the sync goes on', async (t) => {
  const { home, oidc } = await signedIn(t);
  const { file, ...cached } = await readToken(home, 'mycorp');
  await writeToken(home, 'mycorp', { ...cached, expiresAt: new Date(Date.now() + 3600_000) });
  chmodSync(file, 0o644);
  const { log, lines } = capturingLogger();
  // A window shorter than the token's life: no refresh, so the file keeps its loose mode.
  const keeper = new TokenKeeper({
    home,
    clock: systemClock,
    log,
    oidc: () => oidc,
    refreshWindowMs: 1_000,
    lockDir: path.join(home, 'locks'),
  });
  const token = await keeper.tokenForSync(session);
  await keeper.tokenForSync(session);
  const warnings = lines.filter((l) => l.event === 'token.file_exposed');
  assert.equal(warnings.length, 1, 'once per file');
  assert.equal(warnings[0]!.level, 40);
  assert.equal(warnings[0]!.mode, '0644');
  assert.match(String(warnings[0]!.msg), new RegExp(`readable by other users .*chmod 600 ${file}`));
  assert.doesNotMatch(JSON.stringify(lines), new RegExp(token.accessToken), 'no token in the log');
});
