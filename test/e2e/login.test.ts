/** `sso-sync login` as a person runs it: the built CLI, the emulator's OIDC side, the test playing the browser. */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { until } from '../helpers/until.js';
import { cachedToken } from '../helpers/box-files.js';
import { logLines, profileNames, sandbox, sessionSection } from '../helpers/sandbox.js';
import { tokenCachePath } from '../../src/paths.js';

const urlLine = /^ {2}(http\S+)$/m;

/** Plays the browser: follows the authorize URL's redirect to the listener and returns the page it shows. */
async function browse(authorizeUrl: string): Promise<{ status: number; page: string; callback: string }> {
  const redirect = await fetch(authorizeUrl, { redirect: 'manual' });
  assert.equal(redirect.status, 302, await redirect.text());
  const callback = redirect.headers.get('location')!;
  const answer = await fetch(callback);
  return { status: answer.status, page: await answer.text(), callback };
}

async function ready(
  t: { after(fn: () => Promise<void>): void },
  options: Parameters<typeof sandbox>[0] = { fixture: builtinFixture() },
) {
  const box = await sandbox(options);
  t.after(() => box.close());
  box.writeConfig(sessionSection());
  return box;
}

test('authorization code with PKCE: the browser is redirected to the loopback listener, the token lands in the CLI cache, one sync runs', async (t) => {
  const box = await ready(t);
  const run = box.start(['login', '--no-browser'], { env: { SSO_SYNC_LOG_LEVEL: 'debug' } });
  const [, url] = await run.waitFor(urlLine);
  const authorize = new URL(url!);
  assert.equal(authorize.origin + authorize.pathname, `${box.emulator.url}/authorize`);
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  assert.match(authorize.searchParams.get('redirect_uri')!, /^http:\/\/127\.0\.0\.1:\d+\/oauth\/callback$/);
  const browser = await browse(url!);
  assert.equal(browser.status, 200);
  assert.match(browser.page, /You can close this tab/);
  const result = await run.done;
  assert.equal(result.code, 0, result.stderr);

  const token = cachedToken(box);
  assert.deepEqual(Object.keys(token).sort(), [
    'accessToken',
    'clientId',
    'clientSecret',
    'expiresAt',
    'refreshToken',
    'region',
    'registrationExpiresAt',
    'startUrl',
  ]);
  assert.match(String(token.expiresAt), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  assert.match(String(token.registrationExpiresAt), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  assert.equal(token.startUrl, 'https://d-1234567890.awsapps.com/start');
  assert.equal(statSync(tokenCachePath(box.home, 'mycorp')).mode & 0o777, 0o600);
  assert.ok(logLines(result.stdout).some((l) => l.event === 'login.completed' && l.refreshable === true));
  assert.ok(
    profileNames(readFileSync(box.configFile, 'utf8')).length > 0,
    'the sync after the login wrote the profiles',
  );

  // With debug logging on, no secret the emulator issued may appear in what sso-sync printed: box.close() searches
  // the output for each. Here, make sure there were secrets to search for.
  const secrets = box.emulator.issuedSecrets();
  assert.ok(secrets.length >= 4, 'access token, refresh token, client secret, authorization code, verifier');
  const listener = new URL(browser.callback);
  const closed = await fetch(`${listener.origin}/oauth/callback`).then(
    () => 'open',
    () => 'closed',
  );
  assert.equal(closed, 'closed', 'the listener is closed after its one callback');
});

test('the listener refuses a wrong state, other paths and other methods, and keeps waiting for the real callback', async (t) => {
  const box = await ready(t);
  const run = box.start(['login', '--no-browser']);
  const [, url] = await run.waitFor(urlLine);
  const redirect = await fetch(url!, { redirect: 'manual' });
  const callback = new URL(redirect.headers.get('location')!);
  const wrongState = new URL(callback);
  wrongState.searchParams.set('state', 'forged');
  assert.equal((await fetch(wrongState)).status, 400);
  assert.equal((await fetch(`${callback.origin}/elsewhere`)).status, 404);
  assert.equal((await fetch(callback, { method: 'POST' })).status, 404);
  assert.equal((await fetch(callback)).status, 200);
  const result = await run.done;
  assert.equal(result.code, 0, result.stderr);
});

test('a denied sign-in, a callback without a code, and no callback at all each end with exit 3 and what to do', async (t) => {
  const box = await ready(t);
  box.emulator.setAuthorizeDecision('deny');
  const denied = box.start(['login', '--no-browser']);
  const browser = await browse((await denied.waitFor(urlLine))[1]!);
  assert.equal(browser.status, 200);
  const d = await denied.done;
  assert.equal(d.code, 3);
  assert.match(d.stderr, /was denied in the browser; run `sso-sync login --session mycorp`/);

  box.emulator.setAuthorizeDecision('approve');
  const noCode = box.start(['login', '--no-browser']);
  const redirect = await fetch((await noCode.waitFor(urlLine))[1]!, { redirect: 'manual' });
  const callback = new URL(redirect.headers.get('location')!);
  callback.searchParams.delete('code');
  assert.equal((await fetch(callback)).status, 400);
  const n = await noCode.done;
  assert.equal(n.code, 3);
  assert.match(n.stderr, /carried no authorization code/);

  const timedOut = await box.run(['login', '--no-browser', '--timeout', '1']);
  assert.equal(timedOut.code, 3);
  assert.match(timedOut.stderr, /no sign-in arrived within 1 seconds; run `sso-sync login` again/);
});

test('the device code flow: pending until approved in the emulator, then signed in and synced', async (t) => {
  const box = await ready(t);
  const run = box.start(['login', '--device-code', '--no-browser']);
  const [, url] = await run.waitFor(urlLine);
  const userCode = new URL(url!).searchParams.get('user_code')!;
  const [, shown] = await run.waitFor(/shows the code (\S+)\./);
  assert.equal(shown, userCode);
  assert.deepEqual(box.emulator.pendingDeviceAuthorizations(), [userCode]);
  // At least one poll answered "pending" before the approval.
  await until('a poll while pending', () => (box.emulator.stats().byRoute.token ?? 0) >= 1);
  box.emulator.approveDevice(userCode);
  const result = await run.done;
  assert.equal(result.code, 0, result.stderr);
  assert.equal(typeof cachedToken(box).refreshToken, 'string');
  assert.ok(profileNames(readFileSync(box.configFile, 'utf8')).length > 0);
});

test('the device code flow: denied, or expired before approval, ends with exit 3', async (t) => {
  const box = await ready(t, { fixture: builtinFixture(), deviceCodeLifetimeSeconds: 2 });
  const denied = box.start(['login', '--device-code', '--no-browser']);
  const code = new URL((await denied.waitFor(urlLine))[1]!).searchParams.get('user_code')!;
  box.emulator.denyDevice(code);
  const d = await denied.done;
  assert.equal(d.code, 3);
  assert.match(d.stderr, /was denied; run `sso-sync login --session mycorp --device-code`/);

  const expired = await box.run(['login', '--device-code', '--no-browser']);
  assert.equal(expired.code, 3);
  assert.match(expired.stderr, /expired before it was approved|was not approved in time/);
});

test('the browser is started with the URL as one argument, no shell; the registration is reused by the next sign-in', async (t) => {
  const box = await ready(t);
  const argsFile = path.join(box.home, 'browser-args');
  const fakeBrowser = path.join(box.home, 'fake-browser');
  // Stands in for a browser: records each argument on its own line. A shell would have split the URL at '&'.
  writeFileSync(fakeBrowser, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > '${argsFile}'\n`);
  chmodSync(fakeBrowser, 0o755);
  const run = box.start(['login'], { env: { BROWSER: fakeBrowser } });
  const [, url] = await run.waitFor(/A browser window was opened[^\n]*\n\n {2}(http\S+)/);
  await browse(url!);
  assert.equal((await run.done).code, 0);
  assert.deepEqual(readFileSync(argsFile, 'utf8').split('\n').filter(Boolean), [url]);
  assert.ok(url!.includes('&'));

  const registrations = box.emulator.stats().byRoute.register;
  const again = box.start(['login', '--no-browser']);
  await browse((await again.waitFor(urlLine))[1]!);
  assert.equal((await again.done).code, 0);
  assert.equal(box.emulator.stats().byRoute.register, registrations, 'no second RegisterClient');
});

test('login asks which session when several are configured, and refuses unknown ones', async (t) => {
  const box = await ready(t);
  box.writeConfig(sessionSection('one') + sessionSection('two'));
  const several = await box.run(['login', '--no-browser']);
  assert.equal(several.code, 2);
  assert.match(several.stderr, /several sso-sessions are configured \(one, two\); choose one/);
  const unknown = await box.run(['login', '--session', 'three']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no sso-session named three/);
});

/** Signs in with the device code flow, approving it in the emulator as the person would; returns the run. */
async function deviceSignIn(box: Awaited<ReturnType<typeof ready>>) {
  const run = box.start(['login', '--device-code', '--no-browser'], { env: { SSO_SYNC_LOG_LEVEL: 'debug' } });
  const [, url] = await run.waitFor(urlLine);
  box.emulator.approveDevice(new URL(url!).searchParams.get('user_code')!);
  return run.done;
}

/** The client id of the registration sso-sync keeps for a flow. */
function keptClient(box: Awaited<ReturnType<typeof ready>>, flow: string): string {
  const file = path.join(box.home, '.local', 'state', 'sso-sync', 'registrations', `mycorp.${flow}.json`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { clientId: string }).clientId;
}

test('a client registration the service forgot is dropped and made again, and the sign-in goes on (device code)', async (t) => {
  const box = await ready(t);
  assert.equal((await deviceSignIn(box)).code, 0);
  const stale = keptClient(box, 'device-code');
  box.emulator.expireRegistration(stale); // as when the service forgets a client, or revokes it early
  const again = await deviceSignIn(box);
  assert.equal(again.code, 0, again.stderr);
  assert.notEqual(keptClient(box, 'device-code'), stale, 'a new registration is kept');
  const dropped = logLines(again.stdout).find((l) => l.event === 'login.registration_dropped');
  assert.match(
    String(dropped?.msg),
    /no longer accepts the client registration kept for mycorp; registering a new one/,
  );
  assert.doesNotMatch(again.stderr, /network/);
});

test('a client registration the service forgot is found before the browser opens, and made again (browser)', async (t) => {
  const box = await ready(t);
  assert.equal((await box.loginWithBrowser()).code, 0);
  const stale = keptClient(box, 'authorization-code');
  box.emulator.expireRegistration(stale);
  const again = await box.loginWithBrowser({ env: { SSO_SYNC_LOG_LEVEL: 'debug' } });
  assert.equal(again.code, 0, again.stderr);
  assert.notEqual(keptClient(box, 'authorization-code'), stale);
  assert.ok(logLines(again.stdout).some((l) => l.event === 'login.registration_dropped'));
});

test('over SSH without a browser, `sso-sync login` signs in with a device code, and says so', async (t) => {
  const box = await ready(t);
  const ssh = { SSH_CONNECTION: '192.0.2.10 50000 192.0.2.20 22', DISPLAY: '', WAYLAND_DISPLAY: '', BROWSER: '' };
  const run = box.start(['login'], { env: ssh });
  await run.waitFor(
    /No browser can finish the sign-in here \(an SSH session, without a browser here\): signing in with a device code/,
  );
  const [, url] = await run.waitFor(urlLine);
  assert.equal(new URL(url!).pathname, '/device', 'the device verification page, not the loopback');
  box.emulator.approveDevice(new URL(url!).searchParams.get('user_code')!);
  const result = await run.done;
  assert.equal(result.code, 0, result.stderr);
  // Told to open the URL on this machine when the browser flow is asked for over SSH.
  const asked = box.start(['login', '--no-browser'], { env: ssh });
  await asked.waitFor(/only a browser on this machine can finish it\. Elsewhere, use `sso-sync login --device-code`/);
  const [, loopback] = await asked.waitFor(urlLine);
  assert.match(new URL(loopback!).searchParams.get('redirect_uri')!, /^http:\/\/127\.0\.0\.1:/);
  asked.child.kill('SIGTERM');
  await asked.done;
});
