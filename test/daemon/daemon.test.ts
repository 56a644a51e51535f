/** The daemon's scheduling in process, with its edges replaced: syncs never overlap, failures back off. */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import type { TokenKeeper } from '../../src/auth/token-keeper.js';
import { systemClock } from '../../src/clock/clock.js';
import { backoffMs, runDaemon, type DaemonDeps } from '../../src/daemon/daemon.js';
import { claimDaemon } from '../../src/daemon/single-instance.js';
import { SsoSyncError } from '../../src/errors.js';
import { zeroSettings } from '../../src/settings/schema.js';
import type { SyncReport } from '../../src/sync/run-once.js';
import { writeToken } from '../../src/token/cache.js';
import { tempDir } from '../helpers/temp-dir.js';
import { pidFile } from '../../src/paths.js';

const ok: SyncReport = { exitCode: 0, written: false, outcomes: [], failures: [] };
const failed: SyncReport = {
  exitCode: 1,
  written: false,
  outcomes: [],
  failures: [{ session: 'mycorp', error: new SsoSyncError('aws.failed', 'boom', { retryable: true }) }],
};
const signIn: SyncReport = {
  exitCode: 3,
  written: false,
  outcomes: [],
  failures: [{ session: 'mycorp', error: new SsoSyncError('sign-in.required', 'sign in') }],
};

function harness(t: { after(fn: () => void): void }, reports: SyncReport[], syncMs = 0, keeper?: TokenKeeper) {
  const home = tempDir(t, 'sso-sync-daemon-');
  const signals = new EventEmitter();
  const calls: { at: number; sessions: string[] }[] = [];
  const refreshes: number[] = [];
  if (!keeper) t.after(() => assert.deepEqual(refreshes, [], 'no token exists here, so no refresh may be tried'));
  let inFlight = 0;
  let maxInFlight = 0;
  const start = Date.now();
  const deps: DaemonDeps = {
    clock: systemClock,
    log: pino({ level: 'silent' }),
    home,
    configFile: path.join(home, 'config'),
    settingsFile: path.join(home, 'settings.yaml'),
    loadSettings: async () => zeroSettings(),
    sessions: async () => [
      { name: 'mycorp', startUrl: 'https://d-1234567890.awsapps.com/start', region: 'eu-north-1', scopes: [] },
    ],
    runSync: async (request) => {
      calls.push({ at: Date.now() - start, sessions: request.sessions });
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((r) => setTimeout(r, syncMs));
      inFlight--;
      return reports.shift() ?? ok;
    },
    recordNextRun: async () => undefined,
    createKeeper: () => keeper ?? ({ refresh: async () => void refreshes.push(Date.now()) } as unknown as TokenKeeper),
    schedule: () => ({ stop: () => undefined, nextRun: () => new Date(Date.now() + 3600_000) }),
    watch: () => ({ close: async () => undefined }) as never,
    signals: signals as unknown as DaemonDeps['signals'],
    notify: () => undefined,
    retryBaseMs: 100,
  };
  return { deps, signals, calls, home, maxInFlight: () => maxInFlight };
}

test('backoff: 30 s doubling to 15 minutes', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(n) / 1000),
    [30, 60, 120, 240, 480, 900, 900],
  );
});

test('a sync failing for a passing reason is retried with growing delays, then the retries stop once it succeeds', async (t) => {
  const h = harness(t, [failed, failed, ok]);
  const done = runDaemon(h.deps);
  await new Promise((r) => setTimeout(r, 1000));
  h.signals.emit('SIGTERM', 'SIGTERM');
  assert.equal(await done, 0);
  assert.equal(h.calls.length, 3, 'start, then two retries, then no more');
  const gaps = [h.calls[1]!.at - h.calls[0]!.at, h.calls[2]!.at - h.calls[1]!.at];
  assert.ok(gaps[0]! >= 100 && gaps[1]! >= 200 && gaps[1]! > gaps[0]!, `gaps ${gaps}`);
});

test('sign-in required is not retried: the daemon waits for a new token', async (t) => {
  const h = harness(t, [signIn]);
  const done = runDaemon(h.deps);
  await new Promise((r) => setTimeout(r, 600));
  h.signals.emit('SIGTERM', 'SIGTERM');
  assert.equal(await done, 0);
  assert.equal(h.calls.length, 1);
});

test('requests during a sync never start a second one at once; they are merged into one sync after it', async (t) => {
  const h = harness(t, [], 300);
  const done = runDaemon(h.deps);
  await new Promise((r) => setTimeout(r, 50));
  for (let i = 0; i < 5; i++) h.signals.emit('SIGHUP', 'SIGHUP'); // each reload asks for a sync
  await new Promise((r) => setTimeout(r, 1000));
  h.signals.emit('SIGTERM', 'SIGTERM');
  assert.equal(await done, 0);
  assert.equal(h.maxInFlight(), 1);
  assert.equal(h.calls.length, 2, 'the start sync, then one sync for all the requests that arrived during it');
});

test('a stop waits for a refresh the token timer started (the service may have rotated the refresh token already)', async (t) => {
  let finished = false;
  const slowKeeper = {
    refresh: async () => {
      await new Promise((r) => setTimeout(r, 700));
      finished = true;
      return { accessToken: 'new', expiresAt: new Date(Date.now() + 3600_000) };
    },
  } as unknown as TokenKeeper;
  const h = harness(t, [], 0, slowKeeper);
  // A refreshable token with 1 s left: its refresh is due after half of that, and takes 0.7 s.
  await writeToken(h.home, 'mycorp', {
    startUrl: 'https://d-1234567890.awsapps.com/start',
    region: 'eu-north-1',
    accessToken: 'old',
    expiresAt: new Date(Date.now() + 1000),
    clientId: 'c',
    clientSecret: 's',
    registrationExpiresAt: new Date(Date.now() + 86400_000),
    refreshToken: 'r',
    other: {},
  });
  const done = runDaemon(h.deps);
  await new Promise((r) => setTimeout(r, 800)); // the timer's refresh is in flight
  h.signals.emit('SIGTERM', 'SIGTERM');
  assert.equal(await done, 0);
  assert.equal(finished, true, 'the daemon stopped only after the refresh finished');
});

test('a pid file holding this very pid (a container restarted as pid 1) does not block the daemon', async (t) => {
  const dir = tempDir(t, 'sso-sync-pid-');
  writeFileSync(pidFile(dir), JSON.stringify({ pid: process.pid, startedAt: '2026-01-01T00:00:00.000Z' }));
  const claim = await claimDaemon(dir, new Date());
  assert.notEqual(
    (JSON.parse(readFileSync(pidFile(dir), 'utf8')) as { startedAt: string }).startedAt,
    '2026-01-01T00:00:00.000Z',
  );
  await claim.release();
});
