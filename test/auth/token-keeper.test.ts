/** The token keeper in process against the emulator: one refresh per session however many syncs ask at once. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { refreshLockPath, TokenKeeper, type KeeperDeps } from '../../src/auth/token-keeper.js';
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

/** A keeper of `home`'s tokens on the system clock, with a 30-minute window, silent unless given a logger. */
function keeperOf(home: string, oidc: OidcApi, extra: Partial<KeeperDeps> = {}): TokenKeeper {
  return new TokenKeeper({
    home,
    clock: systemClock,
    log: pino({ level: 'silent' }),
    oidc: () => oidc,
    refreshWindowMs: 30 * 60_000,
    lockDir: path.join(home, 'locks'),
    ...extra,
  });
}

test('concurrent callers share one refresh; the cache then holds the refreshed token', async (t) => {
  const { emulator, home, oidc, grant } = await signedIn(t);
  const keeper = keeperOf(home, oidc);
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
    setTimer: (ms, fn) => systemClock.setTimer(ms, fn),
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
  const keeper = keeperOf(home, oidc, { log, refreshWindowMs: 1_000 });
  const token = await keeper.tokenForSync(session);
  await keeper.tokenForSync(session);
  const warnings = lines.filter((l) => l.event === 'token.file_exposed');
  assert.equal(warnings.length, 1, 'once per file');
  assert.equal(warnings[0]!.level, 40);
  assert.equal(warnings[0]!.mode, '0644');
  assert.match(String(warnings[0]!.msg), new RegExp(`readable by other users .*chmod 600 ${file}`));
  assert.doesNotMatch(JSON.stringify(lines), new RegExp(token.accessToken), 'no token in the log');
});

test('a refresh answered with a token or a lifetime that cannot be used never replaces the cached token', async (t) => {
  const { emulator, home, oidc, grant } = await signedIn(t);
  // Ten minutes left: inside the refresh window, and still usable if the refresh fails.
  const { file: _file, ...cached } = await readToken(home, 'mycorp');
  await writeToken(home, 'mycorp', { ...cached, expiresAt: new Date(Date.now() + 10 * 60_000) });
  const bad: [string, Record<string, unknown>][] = [
    ['a lifetime of 1e20 seconds', { expiresIn: 1e20 }],
    ['a lifetime of 0', { expiresIn: 0 }],
    ['a negative lifetime', { expiresIn: -5 }],
    ['an access token with a line break', { accessToken: 'aoa\r\nX-Injected: 1' }],
    ['no access token', { accessToken: '' }],
  ];
  let refreshToken = grant.refreshToken;
  for (const [what, change] of bad) {
    emulator.setReplyHook((route, reply) =>
      route === 'token' ? { ...reply, body: { ...(reply.body as object), ...change } } : reply,
    );
    const before = await readToken(home, 'mycorp');
    const { log, lines } = capturingLogger();
    const keeper = keeperOf(home, oidc, { log });
    // The cached token is still usable (a minute and more left): the sync goes on with it.
    const token = await keeper.tokenForSync(session);
    assert.equal(token.accessToken, before.accessToken, what);
    const after = await readToken(home, 'mycorp');
    assert.equal(after.accessToken, before.accessToken, `${what}: the cached access token stays`);
    assert.equal(after.expiresAt.getTime(), before.expiresAt.getTime(), `${what}: its expiry stays`);
    // The emulator rotates refresh tokens: the one its answer carried is kept, the spent one is not.
    assert.notEqual(after.refreshToken, refreshToken, `${what}: the rotated refresh token is kept`);
    refreshToken = after.refreshToken;
    const warning = lines.find((l) => l.event === 'token.refresh_failed');
    assert.ok(warning, what);
    assert.match(String(warning.msg), /answer cannot be used/);
    assert.doesNotMatch(String(warning.msg), /network/);
    assert.doesNotMatch(JSON.stringify(lines), /aoa|X-Injected/, `${what}: no token in the log`);
  }
  // With the hook gone, the kept (rotated) refresh token still refreshes.
  emulator.setReplyHook(undefined);
  const keeper = keeperOf(home, oidc);
  const fresh = await keeper.tokenForSync(session);
  assert.ok(fresh.expiresAt.getTime() > Date.now() + 10 * 60_000, 'refreshed with the kept refresh token');
});

test('an expired token whose refresh is answered with an unusable token fails the sync; nothing is replaced', async (t) => {
  const { emulator, home, oidc } = await signedIn(t);
  const { file: _file, ...cached } = await readToken(home, 'mycorp');
  await writeToken(home, 'mycorp', { ...cached, expiresAt: new Date(Date.now() - 1_000) });
  emulator.setReplyHook((route, reply) =>
    route === 'token' ? { ...reply, body: { ...(reply.body as object), expiresIn: 1e20 } } : reply,
  );
  const keeper = keeperOf(home, oidc);
  await assert.rejects(keeper.tokenForSync(session), (e: Error & { exitCode?: number }) => {
    assert.match(e.message, /expiresIn 100000000000000000000 is not a lifetime/);
    assert.match(e.message, /was not IAM Identity Center's/);
    assert.equal(e.exitCode, 1);
    return true;
  });
  assert.equal((await readToken(home, 'mycorp')).accessToken, cached.accessToken);
});
