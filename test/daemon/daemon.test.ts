/**
 * The daemon in process, on a fake clock, with its edges replaced: syncs never overlap, failures back off, the
 * token timers, the watches and the signals do what the README says. "Nothing happened" is asserted after moving
 * the clock past the moment when it would have happened.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { claimDaemon } from '../../src/daemon/single-instance.js';
import { debounceMs } from '../../src/daemon/watchers.js';
import { SsoSyncError } from '../../src/errors.js';
import type { SyncReport } from '../../src/sync/run-once.js';
import { sha256Hex } from '../../src/core/sha256.js';
import { zeroSettings } from '../../src/settings/schema.js';
import { pidFile, tokenCacheDir } from '../../src/paths.js';
import { tempDir } from '../helpers/temp-dir.js';
import { awsFailed, configWithBlocks, harness, ok, session, signInRequired, token } from './harness.js';

const minute = 60_000;

test('the daemon syncs at start and on the schedule, and stops on SIGTERM with exit 0', async (t) => {
  const h = harness(t, { scheduleMs: 30 * minute });
  await h.start();
  assert.equal(h.events('daemon.started').length, 1);
  assert.deepEqual(h.expressions, ['0 0,30 * * * *'], "the default schedule, at this installation's place (0 here)");
  await h.clock.advance(30 * minute - 1);
  assert.deepEqual(
    h.syncs.map((s) => s.at - h.syncs[0]!.at),
    [0],
    'the start sync only, before the schedule comes',
  );
  await h.clock.advance(1);
  await h.clock.advance(30 * minute);
  assert.deepEqual(
    h.syncs.map((s) => (s.at - h.syncs[0]!.at) / minute),
    [0, 30, 60],
  );
  assert.deepEqual(h.syncs[0]!.request.sessions, [], 'a sync of every session');
  assert.equal(await h.stop(), 0);
  assert.equal(h.events('daemon.stopped').length, 1);
});

test('a sync failing for a passing reason is retried after 30 s, then 60 s, and the retries stop once it succeeds', async (t) => {
  const h = harness(t, { reports: [awsFailed, awsFailed, ok, awsFailed] });
  await h.start();
  await h.clock.advance(60 * minute - 1); // the schedule (every hour) has not come yet
  assert.deepEqual(
    h.syncs.map((s) => (s.at - h.syncs[0]!.at) / 1000),
    [0, 30, 90],
    'start, then two retries, then no more',
  );
  assert.deepEqual(
    h.events('sync.retry_scheduled').map((e) => [e.inMs, e.failures, e.msg]),
    [
      [30_000, 1, 'the sync failed; trying again in 30 s'],
      [60_000, 2, 'the sync failed; trying again in 60 s'],
    ],
  );
  // The scheduled sync fails: after a success, the backoff starts again at 30 s.
  await h.clock.advance(1 + 30_000);
  assert.deepEqual(
    h.events('sync.started').map((e) => e.reason),
    ['start', 'retry', 'retry', 'schedule', 'retry'],
  );
  assert.deepEqual(h.events('sync.retry_scheduled').at(-1)?.inMs, 30_000);
  assert.equal(await h.stop(), 0);
});

test('backoff grows to 15 minutes, and no retry is set when the scheduled run comes sooner', async (t) => {
  const h = harness(t, { reports: Array.from({ length: 8 }, () => awsFailed), scheduleMs: 10 * minute });
  await h.start();
  await h.clock.advance(10 * minute - 1);
  // Retries after 30 s, 1, 2 and 4 min (7.5 min in all); the next, 8 min, would come after the 10-minute run.
  assert.deepEqual(
    h.syncs.map((s) => (s.at - h.syncs[0]!.at) / 1000),
    [0, 30, 90, 210, 450],
  );
  assert.deepEqual(
    h.events('sync.retry_scheduled').map((e) => e.inMs),
    [30_000, 60_000, 120_000, 240_000],
  );
  await h.clock.advance(1);
  assert.equal(h.syncs.length, 6, 'the scheduled run');
  assert.equal(await h.stop(), 0);
});

test('sign-in required is not retried, and the scheduled runs leave the session out until its token file changes', async (t) => {
  const h = harness(t, { reports: [signInRequired] });
  await h.start();
  await h.clock.advance(60 * minute - 1);
  assert.equal(h.syncs.length, 1);
  assert.equal(h.events('sync.retry_scheduled').length, 0);
  await h.clock.advance(1 + 3 * 60 * minute);
  assert.equal(h.syncs.length, 1, 'the scheduled runs found nothing else to sync');
  assert.deepEqual(
    h.events('sync.skipped').map((e) => [e.level, e.sessions, e.msg]),
    Array.from({ length: 4 }, () => [20, ['mycorp'], 'not syncing mycorp: waiting for a sign-in']),
    'each skip is said at debug level only',
  );
  assert.equal(await h.stop(), 0);
});

for (const [what, report] of [
  [
    'a held sync',
    {
      ...ok,
      exitCode: 1,
      outcomes: [
        {
          session: 'mycorp',
          added: [],
          removed: [],
          changed: [],
          renamed: [],
          skipped: [],
          profileCount: 10,
          held: { wouldRemove: 9, of: 10, maxRemovalShare: 0.5 },
          handEdited: undefined,
          sessionDefinedOutside: true,
        },
      ],
    },
  ],
  ['a settings file that cannot be used', new SsoSyncError('settings.invalid', 'bad settings')],
] as const) {
  test(`${what} is not retried: the daemon waits for a sign-in or the next scheduled run`, async (t) => {
    const h = harness(t, {
      reports: [
        () => {
          if (report instanceof Error) throw report;
          return report as unknown as SyncReport;
        },
      ],
    });
    await h.start();
    await h.clock.advance(60 * minute - 1);
    assert.equal(h.syncs.length, 1);
    assert.equal(h.events('sync.retry_scheduled').length, 0);
    await h.clock.advance(1);
    assert.equal(h.syncs.length, 2, 'the scheduled run');
    assert.equal(await h.stop(), 0);
  });
}

test('a whole run that fails unexpectedly is logged and retried', async (t) => {
  const h = harness(t, {
    reports: [
      () => {
        throw new Error('disk on fire');
      },
    ],
  });
  await h.start();
  assert.match(String(h.events('sync.failed')[0]?.msg), /^sync failed: Error: disk on fire/);
  assert.equal(h.events('sync.failed')[0]?.code, 'internal');
  await h.clock.advance(30_000);
  assert.equal(h.syncs.length, 2);
  assert.equal(await h.stop(), 0);
});

test('requests during a sync never start a second one at once; they are merged into one sync after it', async (t) => {
  const h = harness(t, { syncMs: 300 });
  await h.start();
  await h.clock.advance(50);
  for (let i = 0; i < 5; i++) h.signal('SIGHUP'); // each reload asks for a sync
  await h.clock.advance(10 * minute);
  assert.equal(h.events('settings.reloaded').length, 5);
  assert.deepEqual(h.expressions, ['0 0,30 * * * *'], 'the same schedule is not set again');
  assert.deepEqual(
    h.syncs.map((s) => [s.at - h.syncs[0]!.at, s.endedAt! - h.syncs[0]!.at]),
    [
      [0, 300],
      [300, 600],
    ],
    'the start sync, then one sync for all the requests that arrived during it, right after it',
  );
  assert.equal(await h.stop(), 0);
});

test('profiles added or removed, and sign-in required, are notified; sign-in only once until a new token', async (t) => {
  const changed: SyncReport = {
    ...ok,
    outcomes: [
      {
        session: 'mycorp',
        added: [{ name: 'a' }, { name: 'b' }] as never,
        removed: [{ name: 'c' }] as never,
        changed: [],
        renamed: [],
        skipped: [],
        profileCount: 2,
        held: undefined,
        handEdited: undefined,
        sessionDefinedOutside: true,
      },
    ],
  };
  const h = harness(t, {
    reports: [changed, signInRequired, signInRequired, signInRequired, signInRequired],
    scheduleMs: minute,
  });
  await h.start();
  await h.clock.advance(3 * minute);
  assert.equal(h.syncs.length, 2, 'after sign-in required, the scheduled syncs leave the session out');
  assert.deepEqual(h.notifications, [
    'sso-sync: profiles changed: 3 profiles added, removed or renamed',
    'sso-sync: sign-in required: sso-session mycorp: run sso-sync login --session mycorp',
  ]);
  // A sign-in: the next sign-in required is told again.
  await h.writeToken('mycorp', token(h.clock.now(), 3600_000, 'signed-in', false));
  h.change(h.tokenFile());
  await h.clock.advance(debounceMs);
  assert.equal(h.events('token.new').length, 1);
  assert.equal(h.notifications.length, 3);
  assert.equal(await h.stop(), 0);
});

test('SIGHUP and an edit of the settings file reload the settings and sync; an invalid edit keeps the old ones', async (t) => {
  const h = harness(t, {
    settings: [
      {},
      { schedule: '*/5 * * * *', scheduleWritten: true },
      new SsoSyncError(
        'settings.invalid',
        'the settings file is not valid:\n  /s.yaml: schedule: not a cron\nFix /s.yaml and run again (see the README).',
      ),
    ],
  });
  await h.start();
  h.signal('SIGHUP');
  await h.clock.advance(0);
  assert.deepEqual(
    h.events('settings.reloaded').map((e) => [e.reason, e.schedule]),
    [['SIGHUP', '*/5 * * * *']],
  );
  assert.deepEqual(h.expressions, ['0 0,30 * * * *', '*/5 * * * *'], 'rescheduled on the new expression');
  assert.equal(h.syncs.length, 2);
  assert.equal(h.syncs[1]!.request.settings?.schedule, '*/5 * * * *', 'the sync runs on the new settings');
  assert.deepEqual(
    h.syncs.map((s) => s.request.incremental),
    [true, false],
    'the start sync builds on the role lists kept; the one after SIGHUP lists every account',
  );

  h.change(h.deps.settingsFile);
  await h.clock.advance(debounceMs - 1);
  assert.equal(h.events('settings.invalid').length, 0, 'not before the edit has settled');
  await h.clock.advance(1);
  assert.deepEqual(
    h.events('settings.invalid').map((e) => [e.reason, e.msg]),
    [
      [
        'the settings file changed',
        'the new settings are not used, the previous ones stay: the settings file is not valid:\n' +
          '  /s.yaml: schedule: not a cron\nFix /s.yaml: the daemon reads it again when it is saved (or on SIGHUP).',
      ],
    ],
  );
  assert.equal(h.syncs.length, 2, 'no sync for an invalid edit');
  await h.clock.advance(60 * minute); // the next scheduled sync
  assert.equal(h.syncs.length, 3);
  assert.equal(h.syncs[2]!.request.settings?.schedule, '*/5 * * * *', 'the old settings stay');
  assert.equal(await h.stop(), 0);
});

test('a stop cancels the sync in progress (nothing written), waits for it to end, and exits 0', async (t) => {
  const h = harness(t, { syncMs: 2_000 });
  await h.start();
  await h.clock.advance(500);
  const signal = h.syncs[0]!.request.signal!;
  assert.equal(signal.aborted, false);
  h.signal('SIGTERM');
  await h.clock.advance(0);
  assert.equal(signal.aborted, true, 'the sync is told to stop before it writes');
  assert.equal(h.exited(), false, 'the daemon waits for the sync');
  assert.deepEqual(
    h.events('daemon.stopping').map((e) => e.msg),
    ['SIGTERM: stopping after the sync in progress, if any'],
  );
  await h.clock.advance(1_500);
  assert.equal(h.exited(), true);
  assert.equal(await h.stop(), 0);
  assert.equal(h.syncs.length, 1, 'no sync after the signal');
});

test('a sync that does not end within 5 s of the stop does not keep the daemon up', async (t) => {
  const h = harness(t, { reports: [() => new Promise<SyncReport>(() => undefined)] });
  await h.start();
  h.signal('SIGINT');
  await h.clock.advance(5_000 - 1);
  assert.equal(h.exited(), false);
  await h.clock.advance(1);
  assert.equal(h.exited(), true);
  assert.equal(await h.stop(), 0);
});

test('a stop waits for a refresh the token timer started (the service may have rotated the refresh token already)', async (t) => {
  let finished = false;
  const h = harness(t, {
    refresh: async (name, onRefreshed) => {
      await h.clock.sleep(700);
      const next = token(h.clock.now(), 3600_000, 'new');
      await h.writeToken(name, next);
      onRefreshed(name, sha256Hex(next.accessToken));
      finished = true;
      return { ...next, file: h.tokenFile(name) };
    },
  });
  // A refreshable token with 1 s left: its refresh is due after half of that, and takes 0.7 s.
  await h.writeToken('mycorp', token(h.clock.now(), 1000, 'old'));
  await h.start();
  await h.clock.advance(600);
  assert.equal(h.world.refreshes.length, 1, 'the refresh is in flight');
  h.signal('SIGTERM');
  await h.clock.advance(599);
  assert.equal(h.exited(), false, 'still waiting for the refresh');
  await h.clock.advance(1);
  assert.equal(h.exited(), true);
  assert.equal(finished, true, 'the daemon stopped only after the refresh finished');
  assert.equal(await h.stop(), 0);
});

test('the watches: the config, the settings file (whatever its name) and the token cache directory', async (t) => {
  const h = harness(t);
  await h.start();
  assert.deepEqual(h.world.watched, [
    { path: h.deps.configFile, kind: 'file' },
    { path: h.deps.settingsFile, kind: 'file' },
    { path: tokenCacheDir(h.home), kind: 'dir' },
  ]);
  assert.equal(await h.stop(), 0);
});

test("a block removed by hand is logged once; the daemon's own writes, before and after, are not reported", async (t) => {
  // Two sessions, one not signed in: the syncs write only mycorp's block, which is not a removal of other's.
  const written = configWithBlocks('mycorp');
  const write = () => ((h.world.config = written), { ...ok, configText: written });
  const h = harness(t, { sessions: [session('mycorp'), session('other')], reports: [write, write] });
  await h.start();
  h.change(h.deps.configFile); // the watcher's event for the start sync's write
  await h.clock.advance(10 * debounceMs);
  assert.equal(h.events('block.removed').length, 0, 'its own write');

  h.world.config = '[default]\nregion = eu-north-1\n';
  h.change(h.deps.configFile);
  await h.clock.advance(debounceMs);
  assert.deepEqual(
    h.events('block.removed').map((e) => e.msg),
    [`the sso-sync block of mycorp, other is gone from ${h.deps.configFile}; the next sync writes it again`],
  );
  h.signal('SIGHUP'); // the next sync writes it again
  await h.clock.advance(0);
  assert.equal(h.world.config, written);
  h.change(h.deps.configFile);
  await h.clock.advance(10 * debounceMs);
  assert.equal(h.events('block.removed').length, 1, 'only the removal by hand is reported');
  assert.equal(await h.stop(), 0);
});

test('a config damaged right after a sync, or edited inside a block, is reported', async (t) => {
  const written = configWithBlocks('mycorp');
  const h = harness(t, { reports: [() => ((h.world.config = written), { ...ok, configText: written })] });
  await h.start();
  h.world.config = written.replace('# END sso-sync mycorp\n', '');
  h.change(h.deps.configFile);
  await h.clock.advance(debounceMs);
  assert.deepEqual(
    h.events('config.damaged').map((e) => e.lines),
    [[1]],
  );
  h.world.config = written.replace('111111111111', '222222222222');
  h.change(h.deps.configFile);
  await h.clock.advance(debounceMs);
  assert.deepEqual(
    h.events('block.edited_by_hand').map((e) => e.msg),
    [`the sso-sync block of mycorp was edited by hand; the next sync replaces it (with a backup)`],
  );
  h.world.config = undefined;
  h.change(h.deps.configFile);
  await h.clock.advance(debounceMs);
  assert.deepEqual(
    h.events('config.removed').map((e) => e.msg),
    [`${h.deps.configFile} was removed; the next sync writes it again`],
  );
  assert.equal(h.syncs.length, 1, 'repaired by the next sync, not at once');
  assert.equal(await h.stop(), 0);
});

test('a new sso-session in the config is synced at once', async (t) => {
  const h = harness(t);
  h.world.config = configWithBlocks('mycorp');
  await h.start();
  h.world.sessions = [...h.world.sessions, { ...h.world.sessions[0]!, name: 'other' }];
  h.world.config += '[sso-session other]\nsso_start_url = https://x.awsapps.com/start\nsso_region = eu-north-1\n';
  h.change(h.deps.configFile);
  await h.clock.advance(debounceMs);
  assert.deepEqual(
    h.events('sync.started').map((e) => e.reason),
    ['start', 'new sso-session in the AWS config'],
  );
  assert.equal(await h.stop(), 0);
});

test('a config that cannot be read is reported once for one problem, again when the problem changes', async (t) => {
  const h = harness(t);
  await h.start();
  const unreadable = (what: string) => new SsoSyncError('config.refused', `${h.deps.configFile} ${what}`);
  for (const problem of ['is UTF-16LE text', 'is UTF-16LE text', 'is a directory', 'is a directory']) {
    h.world.config = unreadable(problem);
    h.change(h.deps.configFile);
    await h.clock.advance(debounceMs);
  }
  h.world.config = configWithBlocks('mycorp'); // readable again: the next problem is reported again
  h.change(h.deps.configFile);
  await h.clock.advance(debounceMs);
  h.world.config = unreadable('is a directory');
  h.change(h.deps.configFile);
  await h.clock.advance(debounceMs);
  assert.deepEqual(
    h.events('config.unreadable_now').map((e) => e.msg),
    [
      `${h.deps.configFile} is UTF-16LE text (noticed when the file changed)`,
      `${h.deps.configFile} is a directory (noticed when the file changed)`,
      `${h.deps.configFile} is a directory (noticed when the file changed)`,
    ],
  );
  assert.equal(await h.stop(), 0);
});

test("a new token in the cache is a sign-in and syncs that session; the daemon's own refresh is not", async (t) => {
  const lifeMs = 64_000;
  const h = harness(t, {
    settings: [{ refreshWindowMs: minute }],
    refresh: async (name, onRefreshed) => {
      const next = token(h.clock.now(), lifeMs, `refreshed-${h.world.refreshes.length}`);
      const file = await h.writeToken(name, next);
      onRefreshed(name, sha256Hex(next.accessToken));
      return { ...next, file };
    },
  });
  await h.writeToken('mycorp', token(h.clock.now(), lifeMs, 'first'));
  await h.start();
  // The refresh is due when half the life is left (the window is longer than that).
  await h.clock.advance(lifeMs / 2 - 1);
  assert.equal(h.world.refreshes.length, 0);
  await h.clock.advance(1);
  assert.equal(h.world.refreshes.length, 1);
  h.change(h.tokenFile()); // the watcher's event for the refresh's write
  await h.clock.advance(debounceMs);
  assert.equal(h.events('token.new').length, 0, 'its own refresh is not a sign-in');
  assert.equal(h.syncs.length, 1, 'the refresh needed no sync');

  await h.writeToken('mycorp', token(h.clock.now(), 3600_000, 'signed-in'));
  h.change(h.tokenFile());
  h.change(path.join(tokenCacheDir(h.home), 'aws-cli-something-else.json'));
  await h.clock.advance(debounceMs);
  assert.deepEqual(
    h.events('token.new').map((e) => [e.session, e.msg]),
    [['mycorp', 'a new token for sso-session mycorp appeared (a sign-in); syncing it now']],
  );
  assert.deepEqual(
    h.syncs.map((s) => s.request.sessions),
    [[], ['mycorp']],
  );
  assert.equal(await h.stop(), 0);
});

test("a refresh window as long as the token's life does not make the daemon refresh in a loop", async (t) => {
  const lifeMs = 64_000;
  const h = harness(t, {
    settings: [{ refreshWindowMs: 90 * minute }],
    refresh: async (name, onRefreshed) => {
      const next = token(h.clock.now(), lifeMs, `refreshed-${h.world.refreshes.length}`);
      const file = await h.writeToken(name, next);
      onRefreshed(name, sha256Hex(next.accessToken));
      return { ...next, file };
    },
  });
  await h.writeToken('mycorp', token(h.clock.now(), lifeMs, 'first'));
  await h.start();
  const start = h.clock.now();
  await h.clock.advance(100_000);
  // Each new token is refreshed when half its life is left: at 32, 64 and 96 s.
  assert.deepEqual(
    h.world.refreshes.map((at) => (at - start) / 1000),
    [32, 64, 96],
  );
  assert.equal(await h.stop(), 0);
});

test('a refused refresh: sign-in required, notified once, no more refreshes until a sign-in; then they resume', async (t) => {
  let refused = true;
  const h = harness(t, {
    refresh: async (name, onRefreshed) => {
      if (refused) throw new SsoSyncError('sign-in.required', 'the refresh token was refused; sign in again');
      const next = token(h.clock.now(), 3600_000, `refreshed-${h.world.refreshes.length}`);
      const file = await h.writeToken(name, next);
      onRefreshed(name, sha256Hex(next.accessToken));
      return { ...next, file };
    },
  });
  await h.writeToken('mycorp', token(h.clock.now(), 3600_000, 'first'));
  await h.start();
  await h.clock.advance(50 * minute);
  assert.equal(h.world.refreshes.length, 1);
  assert.deepEqual(
    h.events('login.required').map((e) => e.msg),
    ['the refresh token was refused; sign in again'],
  );
  assert.equal(h.notifications.length, 1);

  refused = false;
  await h.writeToken('mycorp', token(h.clock.now(), 3600_000, 'signed-in'));
  h.change(h.tokenFile());
  await h.clock.advance(debounceMs);
  assert.equal(h.syncs.length, 2, 'the sign-in synced');
  await h.clock.advance(40 * minute);
  assert.equal(h.world.refreshes.length, 2, "the new token's refresh");
  assert.equal(h.events('token.refresh_failed').length, 0);
  assert.equal(await h.stop(), 0);
});

test('a token that cannot be refreshed is reported by the first sync only (not by the daemon too) and notified once', async (t) => {
  const h = harness(t, { scheduleMs: 1000, reports: Array.from({ length: 10 }, () => signInRequired) });
  // Already expired: the sync reports it; the timer has nothing more to say.
  await h.writeToken('mycorp', token(h.clock.now(), -60_000, 'expired', false));
  await h.start();
  await h.clock.advance(4_500);
  assert.equal(h.syncs.length, 1, 'the scheduled syncs wait for a sign-in');
  assert.equal(h.events('sync.skipped').length, 4);
  assert.equal(h.events('login.required').length, 0, "the sync's report is the only one");
  assert.deepEqual(h.notifications, [
    'sso-sync: sign-in required: sso-session mycorp: run sso-sync login --session mycorp',
  ]);
  assert.equal(await h.stop(), 0);
});

test('a token that cannot be refreshed is reported once when it expires, not before, and not again', async (t) => {
  const h = harness(t);
  await h.writeToken('mycorp', token(h.clock.now(), 40 * minute, 'access', false));
  await h.start();
  await h.clock.advance(40 * minute - 1);
  assert.equal(h.events('login.required').length, 0);
  await h.clock.advance(1);
  assert.deepEqual(
    h.events('login.required').map((e) => e.msg),
    [
      'the token for sso-session mycorp expired and holds no refresh token (it came from a sign-in that did not issue one); run `sso-sync login --session mycorp`',
    ],
  );
  await h.clock.advance(50 * minute); // the scheduled sync: the session waits for a sign-in, so it is left out
  assert.equal(h.syncs.length, 1);
  assert.equal(h.events('sync.skipped').length, 1);
  assert.equal(h.events('login.required').length, 1);
  assert.equal(h.notifications.length, 1);
  assert.equal(await h.stop(), 0);
});

test('a token valid for months gets its refresh timer (longer than a setTimeout can wait) and it fires on time', async (t) => {
  const h = harness(t, {
    settings: [{ refreshWindowMs: 30 * minute }],
    refresh: async (name) => {
      const next = token(h.clock.now(), 3600_000, 'new');
      return { ...next, file: await h.writeToken(name, next) };
    },
    scheduleMs: 365 * 86400_000,
  });
  const lifeMs = 90 * 86400_000;
  await h.writeToken('mycorp', token(h.clock.now(), lifeMs, 'long'));
  await h.start();
  assert.deepEqual(h.clock.pending(), [lifeMs - 30 * minute, 365 * 86400_000]);
  await h.clock.advance(lifeMs - 30 * minute - 1);
  assert.equal(h.world.refreshes.length, 0);
  await h.clock.advance(1);
  assert.equal(h.world.refreshes.length, 1);
  assert.equal(await h.stop(), 0);
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

test('reloads run one after another: a slow read of the settings never finishes after a later one', async (t) => {
  const h = harness(t, { settings: [{}] });
  const schedules = ['1 * * * *', '2 * * * *'];
  let reads = 0;
  // The first reload's read takes 5 s, the second's 1 s: side by side, the first would land last.
  h.deps.loadSettings = async () => {
    const n = reads++;
    if (n === 0) return { ...zeroSettings() };
    await h.clock.sleep(n === 1 ? 5_000 : 1_000);
    return { ...zeroSettings(), schedule: schedules[n - 1]!, scheduleWritten: true };
  };
  await h.start();
  h.signal('SIGHUP');
  h.signal('SIGHUP');
  await h.clock.advance(10_000);
  assert.deepEqual(
    h.events('settings.reloaded').map((e) => e.schedule),
    ['1 * * * *', '2 * * * *'],
  );
  assert.equal(h.expressions.at(-1), '2 * * * *', 'the later file is the one in force');
});
