/**
 * The daemon while a session is signed out, with its real sync and token keeper (on the fake clock; the portal and
 * the OIDC service are fakes answering in this process): a refused refresh is said once and never sent again, the
 * scheduled syncs leave the session out quietly until its token file changes, and a network failure is no refusal.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { TokenKeeper } from '../../src/auth/token-keeper.js';
import { summarize } from '../../src/daemon/sync-summary.js';
import { sha256Hex } from '../../src/core/sha256.js';
import type { OidcApi } from '../../src/aws/oidc-api.js';
import type { SsoApi } from '../../src/aws/sso-api.js';
import type { Refreshed } from '../../src/daemon/daemon.js';
import { debounceMs } from '../../src/daemon/watchers.js';
import { runOnce, type SyncRequest } from '../../src/sync/run-once.js';
import { harness, session, startUrl, token, type HarnessOptions } from './harness.js';

const minute = 60_000;

/** The portal: one account with one role. */
const portal: SsoApi = {
  endpoint: () => 'http://127.0.0.1:9',
  listAccounts: (_token, onPage) => {
    const accounts = [{ accountId: '111111111111', accountName: 'Prod' }];
    onPage?.(accounts);
    return Promise.resolve({ accounts, unusable: [] });
  },
  listAccountRoles: () => Promise.resolve({ roles: ['AdministratorAccess'], unusable: [] }),
  stats: () => ({ requests: 0, retries: 0, throttled: 0 }),
};

/** The OIDC service: every refresh fails with `failure`; counts the refreshes asked for. */
function oidcFailing(failure: () => Error): { oidc: OidcApi; refreshes: () => number } {
  let calls = 0;
  const oidc: OidcApi = {
    endpoint: () => 'http://127.0.0.1:9',
    registerClient: () => Promise.reject(new Error('no registration in this test')),
    startDeviceAuthorization: () => Promise.reject(new Error('no device flow in this test')),
    createToken: () => {
      calls++;
      return Promise.reject(failure());
    },
  };
  return { oidc, refreshes: () => calls };
}

const invalidGrant = () =>
  Object.assign(new Error('Invalid grant provided'), {
    name: 'InvalidGrantException',
    $metadata: { httpStatusCode: 400 },
  });
const connectionRefused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });

/** The harness's daemon with the real sync and keeper, its config holding the sso-session; its syncs counted. */
function daemon(
  t: { after(fn: () => void): void },
  oidc: OidcApi,
  settings?: HarnessOptions['settings'],
  names = ['mycorp'],
) {
  const h = harness(t, {
    scheduleMs: minute,
    sessions: names.map((n) => session(n)),
    ...(settings ? { settings } : {}),
  });
  const { home, clock, deps } = h;
  mkdirSync(path.dirname(deps.configFile), { recursive: true });
  const sections = names.map((n) => `[sso-session ${n}]\nsso_start_url = ${startUrl}\nsso_region = eu-north-1\n`);
  writeFileSync(deps.configFile, sections.join('\n'));
  const env = {
    HOME: home,
    AWS_CONFIG_FILE: deps.configFile,
    XDG_STATE_HOME: path.join(home, 'state'),
    XDG_CONFIG_HOME: path.join(home, 'cfg'),
  };
  const keeper = (refreshWindowMs: number, onRefreshed: Refreshed) =>
    new TokenKeeper({
      home,
      clock,
      log: deps.log,
      oidc: () => oidc,
      refreshWindowMs,
      lockDir: path.join(home, 'locks'),
      onRefreshed: (session, written) => onRefreshed(session, sha256Hex(written.accessToken)),
      refused: deps.refused,
      baseDelayMs: 1_000,
    });
  let syncs = 0;
  const requests: SyncRequest[] = [];
  deps.createKeeper = (settings, onRefreshed) => keeper(settings.refreshWindowMs, onRefreshed);
  deps.runSync = (request, onRefreshed) => {
    syncs++;
    requests.push(request);
    const createKeeper = (windowMs: number) => keeper(windowMs, onRefreshed);
    const sync = { env, clock, log: deps.log, createApi: () => portal, createKeeper, out: () => undefined };
    return runOnce(sync, request).then(summarize);
  };
  return { h, syncs: () => syncs, requests, config: () => readFileSync(deps.configFile, 'utf8') };
}

test('signed out over ten scheduled cycles: one login.required, one refused refresh; a sign-in ends it', async (t) => {
  const service = oidcFailing(invalidGrant);
  const { h, syncs, config } = daemon(t, service.oidc);
  await h.writeToken('mycorp', token(h.clock.now(), -minute, 'expired'));
  await h.start();
  await h.clock.advance(10 * minute);

  assert.equal(service.refreshes(), 1, 'the refused refresh token was never sent again');
  assert.deepEqual(
    h.events('login.required').map((e) => e.msg),
    [
      'the token for sso-session mycorp expired at 2026-01-05T08:59:00Z and cannot be refreshed: the service ' +
        'refused the refresh (InvalidGrantException (HTTP 400): Invalid grant provided); run `sso-sync login ' +
        '--session mycorp` (or `aws sso login --sso-session mycorp`)',
    ],
  );
  const refusals = h.lines.filter((l) => JSON.stringify(l).includes('InvalidGrantException'));
  assert.equal(refusals.length, 1, 'the refusal is in the log once');
  assert.equal(syncs(), 1, 'only the start sync ran');
  const skipped = h.events('sync.skipped');
  assert.equal(skipped.length, 10, 'each scheduled cycle left the session out');
  assert.ok(skipped.every((e) => e.level === 20 && e.msg === 'not syncing mycorp: waiting for a sign-in'));
  assert.equal(h.lines.filter((l) => (l.level as number) >= 40).length, 1, 'no other warning or error');
  assert.deepEqual(h.notifications, [
    'sso-sync: sign-in required: sso-session mycorp: run sso-sync login --session mycorp',
  ]);

  // `sso-sync login` or `aws sso login` in another terminal writes a new token: the daemon syncs at once.
  await h.writeToken('mycorp', token(h.clock.now(), 8 * 3600_000, 'signed-in'));
  h.change(h.tokenFile());
  await h.clock.advance(debounceMs);
  assert.equal(h.events('token.new').length, 1);
  assert.equal(syncs(), 2);
  assert.match(config(), /^\[profile prod-admin\]$/m);
  // And the scheduled syncs include it again.
  await h.clock.advance(minute);
  assert.equal(syncs(), 3);
  assert.equal(h.events('sync.skipped').length, 10);
  assert.equal(h.events('login.required').length, 1);
  assert.equal(await h.stop(), 0);
});

test('a new token file that is refused again begins a new spell, said once more', async (t) => {
  const service = oidcFailing(invalidGrant);
  const { h, syncs } = daemon(t, service.oidc);
  await h.writeToken('mycorp', token(h.clock.now(), -minute, 'expired'));
  await h.start();
  await h.clock.advance(3 * minute);
  // A token file with a new refresh token, as expired (a restored backup, say): seen at the next cycle.
  await h.writeToken('mycorp', { ...token(h.clock.now(), -minute, 'restored'), refreshToken: 'other' });
  await h.clock.advance(minute + 5_000);
  assert.equal(syncs(), 2, 'the changed file was tried');
  assert.equal(service.refreshes(), 2);
  assert.equal(h.events('login.required').length, 2);
  await h.clock.advance(5 * minute);
  assert.equal(service.refreshes(), 2);
  assert.equal(h.events('login.required').length, 2);
  assert.equal(await h.stop(), 0);
});

test('a refresh that fails on the network is no refusal: it is retried with backoff, and no sign-in is asked', async (t) => {
  const service = oidcFailing(connectionRefused);
  const { h, syncs } = daemon(t, service.oidc);
  await h.writeToken('mycorp', token(h.clock.now(), -minute, 'expired'));
  await h.start();
  await h.clock.advance(10 * minute);
  assert.equal(h.events('login.required').length, 0);
  assert.equal(h.events('sync.skipped').length, 0);
  assert.ok(syncs() >= 10, `${syncs()} syncs: every scheduled one ran`);
  // Each refresh tries four times (the keeper's own retries), at every sync and on the token timer's backoff.
  assert.ok(service.refreshes() >= 40, `${service.refreshes()} refresh requests`);
  assert.ok(h.events('sync.failed').some((e) => /ECONNREFUSED/.test(String(e.msg))));
  assert.ok(h.events('token.refresh_failed').length >= 2, 'the token timer retried with backoff');
  // A refresh may be waiting out its backoff: the stop waits for it, up to five seconds.
  assert.equal(await h.stop(10_000), 0);
});

test('new settings try a waiting session once more (the refused refresh token still unsent); invalid ones do not', async (t) => {
  const service = oidcFailing(invalidGrant);
  const { h, syncs } = daemon(t, service.oidc, [{}, new Error('invalid settings'), {}]);
  await h.writeToken('mycorp', token(h.clock.now(), -minute, 'expired'));
  await h.start();
  await h.clock.advance(2 * minute);
  assert.equal(syncs(), 1);

  h.signal('SIGHUP'); // the edit is invalid: the old settings stay, and so does the spell
  await h.clock.advance(minute);
  assert.equal(h.events('settings.invalid').length, 1);
  assert.equal(syncs(), 1);
  assert.equal(h.events('login.required').length, 1);

  h.signal('SIGHUP'); // valid: the session is tried again, and said to need sign-in again
  await h.clock.advance(minute);
  assert.equal(syncs(), 2);
  assert.deepEqual(
    h.events('login.required').map((e) => String(e.msg).replace(/ \(or `aws sso login.*$/, '')),
    [
      'the token for sso-session mycorp expired at 2026-01-05T08:59:00Z and cannot be refreshed: the service ' +
        'refused the refresh (InvalidGrantException (HTTP 400): Invalid grant provided); run `sso-sync login ' +
        '--session mycorp`',
      `the token for sso-session mycorp expired at 2026-01-05T08:59:00Z and cannot be refreshed: ${h.tokenFile()} ` +
        'holds a refresh token the service already refused (only a new sign-in helps); run `sso-sync login ' +
        '--session mycorp`',
    ],
  );
  assert.equal(service.refreshes(), 1, 'the refused refresh token is still never sent again');
  assert.equal(h.notifications.length, 1, 'not notified again before a sign-in');
  await h.clock.advance(5 * minute);
  assert.equal(syncs(), 2);
  assert.equal(h.events('login.required').length, 2);
  assert.equal(await h.stop(), 0);
});

test('a refresh refused while the token is still valid: said once, not tried again, one login.required when it expires', async (t) => {
  const service = oidcFailing(invalidGrant);
  const { h, syncs } = daemon(t, service.oidc);
  // 40 minutes left: the refresh window (30 minutes) opens in 10.
  await h.writeToken('mycorp', token(h.clock.now(), 40 * minute, 'access'));
  await h.start();
  await h.clock.advance(39 * minute);
  assert.equal(service.refreshes(), 1, 'refused once, never sent again, not by the timer nor by a sync');
  assert.deepEqual(
    h.events('token.refresh_failed').map((e) => e.msg),
    [
      'could not refresh the token for mycorp (InvalidGrantException (HTTP 400): Invalid grant provided); ' +
        'the current one stays valid until 2026-01-05T09:40:00Z',
    ],
  );
  assert.equal(h.events('login.required').length, 0, 'the token still works');
  assert.equal(syncs(), 40, 'the start sync and every scheduled one ran with it');

  // The sync at its expiry (or the token's timer, whichever comes first) says it, once.
  await h.clock.advance(10 * minute);
  const said = h.events('login.required');
  assert.equal(said.length, 1);
  assert.match(
    String(said[0]!.msg),
    /^the token for sso-session mycorp expired .*holds a refresh token the service already refused \(only a new sign-in helps\); run `sso-sync login --session mycorp`/,
  );
  assert.equal(syncs(), 41);
  assert.equal(h.events('sync.skipped').length, 9, 'from then on, the scheduled syncs leave it out');
  assert.equal(service.refreshes(), 1);
  assert.equal(h.lines.filter((l) => (l.level as number) >= 40).length, 2, 'one warning, one error: nothing else');
  assert.equal(await h.stop(), 0);
});

test('while one session waits for a sign-in, the others sync on every cycle', async (t) => {
  const service = oidcFailing(invalidGrant);
  const { h, requests, config } = daemon(t, service.oidc, undefined, ['mycorp', 'other']);
  await h.writeToken('mycorp', token(h.clock.now(), -minute, 'expired'));
  await h.writeToken('other', token(h.clock.now(), 8 * 3600_000, 'fine'));
  await h.start();
  await h.clock.advance(5 * minute);
  assert.equal(requests.length, 6, 'the start sync and every scheduled one ran');
  assert.deepEqual(
    requests.map((r) => [r.sessions, r.skip]),
    [[[], []], ...Array.from({ length: 5 }, () => [[], ['mycorp']])],
    'the scheduled syncs leave out only the session waiting for a sign-in',
  );
  assert.equal(h.events('login.required').length, 1);
  assert.equal(service.refreshes(), 1);
  assert.equal(h.events('sync.completed').filter((e) => e.session === 'other').length, 6);
  assert.equal(h.events('sync.completed').filter((e) => e.session === 'mycorp').length, 0);
  assert.match(config(), /^# BEGIN sso-sync other /m);
  assert.doesNotMatch(config(), /^# BEGIN sso-sync mycorp /m);
  assert.equal(await h.stop(), 0);
});
