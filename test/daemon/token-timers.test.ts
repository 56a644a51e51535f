/**
 * The token timers on a fake clock, with the cache and the keeper in memory: when a refresh comes, how failures
 * back off, what a refused refresh or an expiry says, and that each is said once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TokenKeeper } from '../../src/auth/token-keeper.js';
import type { SessionDef } from '../../src/core/types.js';
import { Current } from '../../src/daemon/current.js';
import { SignInNotices } from '../../src/daemon/sign-in-notices.js';
import { SignedOut } from '../../src/daemon/signed-out.js';
import { RefusedRefreshes } from '../../src/auth/refused-refreshes.js';
import { TokenTimers } from '../../src/daemon/token-timers.js';
import { SsoSyncError } from '../../src/errors.js';
import { zeroSettings } from '../../src/settings/schema.js';
import type { CachedToken } from '../../src/token/cache.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { recordingLog, session, token } from './harness.js';

const minute = 60_000;

type Refresh = (name: string) => Promise<CachedToken>;

/** Token timers over an in-memory cache; `refresh` is the keeper's (by default: a new token for an hour). */
function timers(options: { windowMs?: number; refresh?: Refresh } = {}) {
  const clock = new FakeClock();
  const { log, lines } = recordingLog();
  const cache = new Map<string, CachedToken>();
  const put = (name: string, value: Omit<CachedToken, 'file'>) => cache.set(name, { ...value, file: name });
  const refreshes: number[] = [];
  const notified: string[] = [];
  let n = 0;
  const refresh =
    options.refresh ??
    ((name: string) => {
      put(name, token(clock.now(), 3600_000, `refreshed-${++n}`));
      return Promise.resolve(cache.get(name)!);
    });
  const keeper = {
    refresh: (s: SessionDef) => {
      refreshes.push(clock.now());
      return refresh(s.name);
    },
  } as unknown as TokenKeeper;
  const settings = { ...zeroSettings(), refreshWindowMs: options.windowMs ?? 30 * minute };
  const current = new Current(settings, [session()], keeper);
  const notices = new SignInNotices((_title, text) => notified.push(text));
  const readToken = (name: string) => Promise.resolve(cache.get(name));
  const signedOut = new SignedOut({ readToken, notices });
  const t = new TokenTimers({ clock, log, current, readToken, signedOut, refused: new RefusedRefreshes() });
  const events = (event: string) => lines.filter((l) => l.event === event);
  return { t, clock, put, refreshes, notified, events, start: clock.now(), cache, signedOut };
}

test('a refresh comes when the window opens, but never sooner than half the life left', async () => {
  for (const [lifeMs, windowMs, dueMs] of [
    [3600_000, 30 * minute, 30 * minute],
    [3600_000, 45 * minute, 30 * minute],
    [64_000, 90 * minute, 32_000],
    [-5_000, 30 * minute, 0],
  ] as const) {
    const { t, clock, put, refreshes, start } = timers({ windowMs });
    put('mycorp', token(clock.now(), lifeMs, 'access'));
    await t.arm();
    if (dueMs > 0) await clock.advance(dueMs - 1);
    assert.deepEqual(refreshes, [], `${lifeMs} ms life, ${windowMs} ms window: not before ${dueMs} ms`);
    await clock.advance(dueMs > 0 ? 1 : 0);
    assert.deepEqual(
      refreshes.map((at) => at - start),
      [dueMs],
    );
    t.stop();
  }
});

test('a refresh that fails is tried again after 30 s, then 60 s…, but never sooner than half the life left', async () => {
  let fail = 2;
  const { t, clock, put, refreshes, events, start, cache } = timers({
    windowMs: minute,
    refresh: (name) => {
      if (fail-- > 0)
        return Promise.reject(new SsoSyncError('aws.failed', 'the portal answered 500', { retryable: true }));
      put(name, token(clock.now(), 3600_000, `refreshed-${fail}`));
      return Promise.resolve(cache.get(name)!);
    },
  });
  put('mycorp', token(clock.now(), 100_000, 'access'));
  await t.arm();
  await clock.advance(3 * 3600_000);
  // Half the life at 50 s; then +30 s and +60 s; then the new token's window (60 s before its end), and so on.
  assert.deepEqual(
    refreshes.map((r) => (r - start) / 1000),
    [50, 80, 140, 140 + 3540, 140 + 2 * 3540, 140 + 3 * 3540],
  );
  assert.deepEqual(
    events('token.refresh_failed').map((e) => [e.failures, e.msg]),
    [
      [1, 'the token for mycorp was not refreshed (the portal answered 500); trying again in 30 s'],
      [2, 'the token for mycorp was not refreshed (the portal answered 500); trying again in 60 s'],
    ],
  );
  t.stop();

  // With half an hour left, half the life left (15 min) comes after the backoff (30 s).
  fail = 1;
  const long = timers({
    refresh: () => Promise.reject(new SsoSyncError('aws.failed', 'the portal answered 500', { retryable: true })),
  });
  long.put('mycorp', token(long.clock.now(), 3600_000, 'access'));
  await long.t.arm();
  await long.clock.advance(50 * minute);
  assert.deepEqual(
    long.refreshes.map((r) => (r - long.start) / minute),
    [30, 45],
  );
  long.t.stop();
});

test('a refresh that gives back the same token counts as a failure', async () => {
  const { t, clock, put, events, cache } = timers({ refresh: (name) => Promise.resolve(cache.get(name)!) });
  put('mycorp', token(clock.now(), 3600_000, 'access'));
  await t.arm();
  await clock.advance(30 * minute);
  assert.match(String(events('token.refresh_failed')[0]?.msg), /\(the token was not refreshed\); trying again in 30 s/);
  t.stop();
});

test('a refused refresh means sign-in required, said and notified once; the timers wait for a new token', async () => {
  const refused = new SsoSyncError('sign-in.required', 'the token for sso-session mycorp … cannot be refreshed');
  const { t, clock, put, refreshes, notified, events, signedOut } = timers({
    refresh: () => Promise.reject(refused),
  });
  put('mycorp', token(clock.now(), 3600_000, 'access'));
  await t.arm();
  await clock.advance(30 * minute);
  assert.equal(refreshes.length, 1);
  assert.deepEqual(
    events('login.required').map((e) => [e.session, e.msg]),
    [['mycorp', refused.message]],
  );
  await t.arm(); // as after every sync
  await clock.advance(90 * minute);
  assert.equal(refreshes.length, 1, 'no more refreshes');
  assert.equal(events('login.required').length, 1, 'not again when it expires: it was said for this spell');
  assert.deepEqual(notified, ['sso-session mycorp: run sso-sync login --session mycorp']);

  // A sign-in (the daemon ends the spell when the cache watcher sees it): refreshed again when its window opens.
  put('mycorp', token(clock.now(), 3600_000, 'signed-in'));
  signedOut.end('mycorp');
  t.newToken('mycorp');
  await t.arm();
  await clock.advance(30 * minute);
  assert.equal(refreshes.length, 2);
  t.stop();
});

test('a token that cannot be refreshed is reported when it expires; one already expired is not (the sync said so)', async () => {
  const { t, clock, put, events, notified } = timers();
  put('mycorp', token(clock.now(), 10 * minute, 'access', false));
  await t.arm();
  await clock.advance(10 * minute - 1);
  assert.equal(events('login.required').length, 0);
  await clock.advance(1);
  assert.equal(events('login.required').length, 1);
  await t.arm();
  await clock.advance(24 * 3600_000);
  assert.equal(events('login.required').length, 1);
  assert.equal(notified.length, 1);
  t.stop();
});

test('after stop, no timer fires and no refresh starts; inFlight waits for the refresh in progress', async () => {
  const { t, clock, put, refreshes, cache } = timers({
    refresh: async (name) => {
      await clock.sleep(1000);
      put(name, token(clock.now(), 3600_000, 'refreshed'));
      return cache.get(name)!;
    },
  });
  put('mycorp', token(clock.now(), 3600_000, 'access'));
  await t.arm();
  await clock.advance(30 * minute + 500);
  t.stop();
  let done = false;
  void t.inFlight().then(() => (done = true));
  await clock.advance(499);
  assert.equal(done, false);
  await clock.advance(1);
  assert.equal(done, true);
  assert.deepEqual(clock.pending(), [], 'no timer set after the stop');
  await t.arm();
  assert.deepEqual(clock.pending(), []);
  assert.equal(refreshes.length, 1);
});
