/**
 * Token refresh as `sso-sync --once` does it: simulated expiry (the cache file's expiresAt is moved, no waiting),
 * rotation, refusals that mean sign-in is required, a 401 during a sync, passing failures retried.
 */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { builtinFixture } from '../../src/emulator/fixture.js';
import type { EmulatorOptions } from '../../src/emulator/server.js';
import { cachedToken } from '../helpers/box-files.js';
import { chownTree, logLines, profileNames, sandbox, sessionSection, type Sandbox } from '../helpers/sandbox.js';
import { tokenCachePath } from '../../src/paths.js';

type Cached = Record<string, string>;
const cacheFile = (box: Sandbox) => tokenCachePath(box.home, 'mycorp');
const writeCache = (box: Sandbox, c: Cached) => writeFileSync(cacheFile(box), JSON.stringify(c));
const at = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString().replace(/\.\d+Z$/, 'Z');

/** A sandbox signed in through the real login flow, so the cache holds a refresh token and a registration. */
async function signedIn(
  t: { after(fn: () => Promise<void>): void },
  options: Omit<EmulatorOptions, 'fixture'> = {},
): Promise<Sandbox> {
  const box = await sandbox({ fixture: builtinFixture(), ...options });
  t.after(() => box.close());
  box.writeConfig(sessionSection());
  const result = await box.loginWithBrowser();
  assert.equal(result.code, 0, result.stderr);
  return box;
}

test('a token inside the refresh window is refreshed before the sync; the refresh token rotates; registration fields are kept', async (t) => {
  const box = await signedIn(t);
  const before = cachedToken(box);
  writeCache(box, { ...before, expiresAt: at(10 * 60_000) }); // 10 minutes left: inside the 30-minute window
  const run = await box.run(['--once']);
  assert.equal(run.code, 0, run.stderr);
  const after = cachedToken(box);
  assert.notEqual(after.accessToken, before.accessToken);
  assert.notEqual(after.refreshToken, before.refreshToken, 'the emulator rotates refresh tokens');
  for (const key of ['clientId', 'clientSecret', 'registrationExpiresAt', 'startUrl', 'region'])
    assert.equal(after[key], before[key], key);
  assert.ok(Date.parse(after.expiresAt!) > Date.now() + 30 * 60_000);
  const refreshed = logLines(run.stdout).find((l) => l.event === 'token.refreshed');
  assert.equal(refreshed?.rotated, true);
});

test('an expired token is refreshed and the sync goes on', async (t) => {
  const box = await signedIn(t);
  writeCache(box, { ...cachedToken(box), expiresAt: at(-3600_000) });
  const run = await box.run(['--once']);
  assert.equal(run.code, 0, run.stderr);
  assert.ok(Date.parse(cachedToken(box).expiresAt!) > Date.now());
});

test('the refresh window is a setting: outside it, no refresh', async (t) => {
  const box = await signedIn(t);
  const settings = `${box.home}/settings.yaml`;
  writeFileSync(settings, 'token:\n  refresh_window_minutes: 5\n');
  const before = cachedToken(box);
  writeCache(box, { ...before, expiresAt: at(10 * 60_000) });
  const run = await box.run(['--once', '--settings', settings]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(cachedToken(box).accessToken, before.accessToken);
  assert.equal(box.emulator.stats().byRoute.token, 1, 'only the sign-in asked for a token');
});

test('refreshes that cannot succeed become sign-in required (exit 3), the config untouched', async (t) => {
  const box = await signedIn(t);
  const config = readFileSync(box.configFile);
  const good = cachedToken(box);

  writeCache(box, { ...good, expiresAt: at(-60_000) });
  box.emulator.revokeRefreshToken(good.refreshToken!);
  const revoked = await box.run(['--once']);
  assert.equal(revoked.code, 3);
  assert.match(
    revoked.stderr,
    /expired at .* and cannot be refreshed: the service refused the refresh \(InvalidGrantException/,
  );
  assert.ok(logLines(revoked.stdout).some((l) => l.event === 'login.required'));

  const { refreshToken: _gone, ...noRefresh } = good;
  writeCache(box, { ...noRefresh, expiresAt: at(-60_000) });
  const none = await box.run(['--once']);
  assert.equal(none.code, 3);
  assert.match(none.stderr, /holds no refresh token/);

  writeCache(box, { ...good, expiresAt: at(-60_000), registrationExpiresAt: at(-1000) });
  const registration = await box.run(['--once']);
  assert.equal(registration.code, 3);
  assert.match(registration.stderr, /client registration that expired at/);
  assert.deepEqual(readFileSync(box.configFile), config);
});

test('a registration the service has expired: InvalidClientException, sign-in required', async (t) => {
  const box = await signedIn(t);
  const c = cachedToken(box);
  box.emulator.expireRegistration(c.clientId!);
  writeCache(box, { ...c, expiresAt: at(-60_000) });
  const run = await box.run(['--once']);
  assert.equal(run.code, 3);
  assert.match(run.stderr, /InvalidClientException/);
});

test('when the service returns no refresh token, the old one is dropped; the next expiry then needs a sign-in', async (t) => {
  const box = await signedIn(t, { refreshTokens: 'none' });
  writeCache(box, { ...cachedToken(box), expiresAt: at(-60_000) });
  assert.equal((await box.run(['--once'])).code, 0);
  assert.equal(cachedToken(box).refreshToken, undefined);
  writeCache(box, { ...cachedToken(box), expiresAt: at(-60_000) });
  const run = await box.run(['--once']);
  assert.equal(run.code, 3);
  assert.match(run.stderr, /holds no refresh token/);
});

test('a 401 during a sync: one refresh, then the sync succeeds; with no way to refresh, sign-in required', async (t) => {
  const box = await signedIn(t);
  const c = cachedToken(box);
  box.emulator.revokeAccessToken(c.accessToken!); // still valid by its time, refused by the service
  const run = await box.run(['--once']);
  assert.equal(run.code, 0, run.stderr);
  const events = logLines(run.stdout).map((l) => l.event);
  assert.ok(events.indexOf('token.rejected') < events.indexOf('token.refreshed'));
  assert.notEqual(cachedToken(box).accessToken, c.accessToken);

  const now = cachedToken(box);
  box.emulator.revokeAccessToken(now.accessToken!);
  box.emulator.revokeRefreshToken(now.refreshToken!);
  const config = readFileSync(box.configFile);
  const refused = await box.run(['--once']);
  assert.equal(refused.code, 3);
  assert.match(refused.stderr, /was refused by the service and cannot be refreshed/);
  assert.deepEqual(readFileSync(box.configFile), config);
});

test('a passing failure of the token service is retried with backoff', async (t) => {
  const box = await signedIn(t);
  writeCache(box, { ...cachedToken(box), expiresAt: at(-60_000) });
  box.emulator.setFaults([{ route: 'token', action: 'unavailable', times: 1 }]);
  const run = await box.run(['--once']);
  assert.equal(run.code, 0, run.stderr);
  assert.ok(logLines(run.stdout).some((l) => l.event === 'token.refresh_retry'));
  assert.ok(profileNames(readFileSync(box.configFile, 'utf8')).length > 0);
});

test("two syncs refreshing the same expired token at once both succeed: the loser uses the winner's token", async (t) => {
  const box = await signedIn(t, { latencyMs: 300 }); // both refreshes are in flight together
  writeCache(box, { ...cachedToken(box), expiresAt: at(-60_000) });
  const tokenCalls = box.emulator.stats().byRoute.token!;
  const [a, b] = await Promise.all([box.run(['--once']), box.run(['--once'])]);
  assert.equal(box.emulator.stats().byRoute.token! - tokenCalls, 1, 'one refresh between the two processes');
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  assert.ok(Date.parse(cachedToken(box).expiresAt!) > Date.now());
});

test('a token of another portal is refused before any refresh is tried', async (t) => {
  const box = await signedIn(t);
  const tokenCalls = box.emulator.stats().byRoute.token;
  writeCache(box, { ...cachedToken(box), startUrl: 'https://d-9999999999.awsapps.com/start', expiresAt: at(60_000) });
  const run = await box.run(['--once']);
  assert.equal(run.code, 3);
  assert.match(
    run.stderr,
    /was issued for https:\/\/d-9999999999\.awsapps\.com\/start, not for https:\/\/d-1234567890/,
  );
  assert.equal(box.emulator.stats().byRoute.token, tokenCalls, 'no refresh was tried');
});

test('a refreshed token that cannot be written: sign-in required naming the file, and the spent refresh token is not sent again', async (t) => {
  const box = await signedIn(t);
  writeCache(box, { ...cachedToken(box), expiresAt: at(-60_000) });
  const cacheDir = path.dirname(cacheFile(box));
  // Root ignores permissions, so as root the CLI runs as an unprivileged user who owns the temp HOME.
  const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  if (asUser.uid !== undefined) {
    chmodSync(box.home, 0o755);
    chownTree(box.home, asUser.uid, asUser.gid);
  }
  chmodSync(cacheDir, 0o500);
  const tokenCalls = box.emulator.stats().byRoute.token!;
  const run = await box.run(['--once'], asUser).finally(() => chmodSync(cacheDir, 0o700));
  assert.equal(run.code, 3, run.stderr);
  assert.ok(run.stderr.includes(`was refreshed but could not be written to ${cacheFile(box)}`), run.stderr);
  assert.equal(
    box.emulator.stats().byRoute.token! - tokenCalls,
    1,
    'one CreateToken: the rotated refresh token is not replayed',
  );
});
