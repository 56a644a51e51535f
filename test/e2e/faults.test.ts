/**
 * Faults from the API, through the built CLI and the real SDK: a sync fails or succeeds as a whole, the config is
 * untouched on failure, and the daemon keeps running through faults and recovers when the service does.
 * (The single-fault cases per kind are in once.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { generateFixture, type Fixture } from '../../src/emulator/fixture.js';
import type { Fault } from '../../src/emulator/server.js';
import { writeSettings } from '../helpers/box-files.js';
import { logLines, mtimeNs, profileNames, sandbox, sessionSection } from '../helpers/sandbox.js';
import { until } from '../helpers/until.js';

const userText = `[default]\r\nregion = eu-west-1\r\n\r\n${sessionSection()}\n# my notes\n[profile mine]\nregion = us-east-1\n`;

/**
 * A synced sandbox whose next sync (of `next`) meets `faults`; returns the file's bytes and mtime before it.
 * sso-sync asks for pages of 100 (the most the service gives), so paging needs more than 100 accounts.
 */
async function syncedBox(
  t: { after(fn: () => Promise<void>): void },
  options: { next: Fixture; faults: Fault[]; settings?: string; signIn?: 'cache' | 'browser' },
) {
  // The first sync sees a part of the organisation the next one sees whole: the next sync only adds profiles.
  const box = await sandbox({ fixture: { accounts: options.next.accounts.slice(0, 5) } });
  t.after(() => box.close());
  box.writeConfig(userText);
  if (options.settings !== undefined) writeSettings(box, options.settings);
  if (options.signIn === 'browser') assert.equal((await box.loginWithBrowser()).code, 0);
  else box.signIn();
  assert.equal((await box.run(['--once'])).code, 0);
  box.emulator.setFixture(options.next);
  box.emulator.setFaults(options.faults);
  return { box, before: readFileSync(box.configFile), mtime: mtimeNs(box.configFile) };
}

/** The profile names the block of a config holds, sorted. */
const profilesOf = (file: string) =>
  profileNames(readFileSync(file, 'utf8'))
    .filter((n) => n !== 'mine')
    .sort();

/** The profile names a fixture should give (the generator's accounts are named account-N, roles role-N). */
function expectedCount(f: Fixture): number {
  return f.accounts.reduce((n, a) => n + a.roles.length, 0);
}

test('a service that stops answering: each call is abandoned after request_timeout_seconds and retried, then the sync fails whole', async (t) => {
  const next = generateFixture({ accounts: 30, rolesPerAccount: 2 });
  const { box, before, mtime } = await syncedBox(t, {
    next,
    faults: [{ route: 'roles', after: 10, action: 'stall' }],
    settings: 'sync:\n  request_timeout_seconds: 1\n',
  });
  const started = Date.now();
  const run = await box.run(['--once']);
  const took = Date.now() - started;
  assert.equal(run.code, 1, run.stderr);
  assert.match(
    run.stderr,
    /listing the roles of account \d{12} for sso-session mycorp failed: TimeoutError[^\n]*after 5 attempts\. Nothing was written/,
  );
  assert.deepEqual(readFileSync(box.configFile), before);
  assert.equal(mtimeNs(box.configFile), mtime);
  // Five attempts of one second each, plus backoff: bounded, not the SDK's default of no timeout at all.
  assert.ok(took >= 5_000 && took < 30_000, `took ${took} ms`);
  assert.ok(logLines(run.stdout).some((l) => l.event === 'sync.failed'));
});

test('calls that stall a few times and then answer: retried after the timeout, the sync completes with every profile', async (t) => {
  const next = generateFixture({ accounts: 30, rolesPerAccount: 2 });
  const { box } = await syncedBox(t, {
    next,
    faults: [
      { route: 'roles', after: 5, times: 3, action: 'stall' },
      { route: 'accounts', times: 1, action: 'stall' },
    ],
    settings: 'sync:\n  request_timeout_seconds: 1\n',
  });
  const run = await box.run(['--once']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(box.emulator.stats().faultsFired, 4);
  assert.equal(profilesOf(box.configFile).length, expectedCount(next));
  assert.ok(readFileSync(box.configFile, 'latin1').startsWith(userText));
});

test('a 429 storm on every portal route (66 answers of 429 in a row) is ridden out: the sync completes whole', async (t) => {
  const next = generateFixture({ accounts: 40, rolesPerAccount: 3 });
  const { box } = await syncedBox(t, {
    next,
    faults: [
      { route: 'accounts', times: 6, action: 'throttle' },
      { route: 'roles', times: 60, action: 'throttle' },
    ],
  });
  const run = await box.run(['--once'], { env: { SSO_SYNC_LOG_LEVEL: 'debug' } });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(box.emulator.stats().faultsFired, 66);
  assert.equal(profilesOf(box.configFile).length, expectedCount(next));
  const fetched = logLines(run.stdout).find((l) => l.event === 'fetch.completed');
  assert.ok(fetched && (fetched.retries as number) >= 66, JSON.stringify(fetched));
});

test('a 429 storm mixed with server errors that outlast the retries: the sync fails whole, the file is untouched', async (t) => {
  const next = generateFixture({ accounts: 40, rolesPerAccount: 3 });
  const { box, before, mtime } = await syncedBox(t, {
    next,
    faults: [
      { route: 'roles', after: 20, times: 10, action: 'throttle' },
      { route: 'roles', after: 20, action: 'server-error' },
    ],
  });
  const run = await box.run(['--once']);
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /InternalServerException \(HTTP 500\)[^\n]*Nothing was written/);
  assert.deepEqual(readFileSync(box.configFile), before);
  assert.equal(mtimeNs(box.configFile), mtime);
});

test('a 401 on the second page of accounts: the token is refreshed once and the listing starts over; every account arrives once', async (t) => {
  const next = generateFixture({ accounts: 250, rolesPerAccount: 1 });
  const { box } = await syncedBox(t, {
    next,
    signIn: 'browser',
    faults: [{ route: 'accounts', after: 1, times: 1, action: 'unauthorized' }],
  });
  const run = await box.run(['--once']);
  assert.equal(run.code, 0, run.stderr);
  assert.ok(logLines(run.stdout).some((l) => l.event === 'token.rejected'));
  const names = profilesOf(box.configFile);
  assert.equal(names.length, 250);
  assert.equal(new Set(names).size, 250);
});

test('a 401 on the second page of accounts that a refresh does not cure: sign-in required (exit 3), the file is untouched', async (t) => {
  const { box, before, mtime } = await syncedBox(t, {
    next: generateFixture({ accounts: 250, rolesPerAccount: 1 }),
    signIn: 'browser',
    faults: [{ route: 'accounts', after: 1, action: 'unauthorized' }],
  });
  const run = await box.run(['--once']);
  assert.equal(run.code, 3, run.stderr);
  assert.match(run.stderr, /sso-sync login/);
  assert.deepEqual(readFileSync(box.configFile), before);
  assert.equal(mtimeNs(box.configFile), mtime);
});

test('connections dropped in the middle of paging: a few are retried and the sync completes; when every one drops, it fails whole', async (t) => {
  const next = generateFixture({ accounts: 250, rolesPerAccount: 1 });
  const passing = await syncedBox(t, {
    next,
    faults: [
      { route: 'accounts', after: 1, times: 2, action: 'drop' },
      { route: 'roles', after: 7, times: 3, action: 'drop' },
    ],
  });
  const ok = await passing.box.run(['--once']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(profilesOf(passing.box.configFile).length, expectedCount(next));

  const failing = await syncedBox(t, { next, faults: [{ route: 'accounts', after: 1, action: 'drop' }] });
  const run = await failing.box.run(['--once']);
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /listing accounts for sso-session mycorp failed[^\n]*Nothing was written/);
  assert.deepEqual(readFileSync(failing.box.configFile), failing.before);
  assert.equal(mtimeNs(failing.box.configFile), failing.mtime);
});

test('the daemon keeps running through every kind of fault and recovers on its own when the service does', async (t) => {
  const box = await sandbox({ fixture: generateFixture({ accounts: 5, rolesPerAccount: 2 }) });
  t.after(() => box.close());
  box.writeConfig(userText);
  writeSettings(box, 'schedule: "*/2 * * * * *"\nsync:\n  request_timeout_seconds: 1\n');
  box.signIn();
  const daemon = box.start([], { timeoutMs: 120_000 });
  t.after(() => void daemon.child.kill('SIGKILL'));
  await daemon.waitFor(/"event":"sync.completed"/);
  const before = readFileSync(box.configFile);

  // The organisation changes while the service misbehaves in one way after another.
  const next = generateFixture({ accounts: 12, rolesPerAccount: 2 });
  box.emulator.setFixture(next);
  const failures = () =>
    daemon
      .output()
      .split('\n')
      .filter((l) => l.includes('"event":"sync.failed"')).length;
  // (A 429 storm is ridden out rather than failed: see above.)
  for (const action of ['server-error', 'malformed', 'drop', 'stall', 'unavailable'] as const) {
    const seen = failures();
    box.emulator.setFaults([{ route: 'roles', after: 3, action }]);
    await until(`a failed sync under ${action}`, () => failures() > seen, {
      timeoutMs: 60_000,
      detail: () => daemon.output(),
    });
    assert.equal(daemon.child.exitCode, null, `the daemon is still running after ${action}`);
    assert.deepEqual(readFileSync(box.configFile), before, `the file is untouched under ${action}`);
  }

  box.emulator.setFaults([]);
  const added = new RegExp(`"event":"profile.added"[^\\n]*"accountId":"${next.accounts.at(-1)!.accountId}"`);
  await daemon.waitFor(added, 60_000);
  assert.equal(profilesOf(box.configFile).length, expectedCount(next));
  daemon.child.kill('SIGTERM');
  const result = await daemon.done;
  assert.equal(result.code, 0);
});
