/**
 * The daemon as a child process against the emulator, with a schedule of seconds. Real time: a test waits only for
 * something to happen; that something did not happen is shown by the order of events, or in test/daemon on a fake
 * clock.
 */
import assert from 'node:assert/strict';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { cachedToken, writeSettings } from '../helpers/box-files.js';
import { logLines, profileNames, sandbox, sessionSection, type Running, type Sandbox } from '../helpers/sandbox.js';
import { until } from '../helpers/until.js';
import { stateDir, syncStateFile, tokenCachePath } from '../../src/paths.js';

/** Counts the JSON log lines of an event so far. */
function count(output: string, event: string): number {
  return output.split('\n').filter((l) => l.includes(`"event":"${event}"`)).length;
}

async function daemonBox(t: { after(fn: () => Promise<void>): void }, schedule = '*/2 * * * * *', latencyMs = 0) {
  const box = await sandbox({ fixture: builtinFixture(), latencyMs });
  t.after(() => box.close());
  box.writeConfig(sessionSection());
  writeSettings(box, `schedule: "${schedule}"\n`);
  const accessToken = box.signIn();
  return { box, accessToken };
}

/** The sync state `status` reads, if written yet. */
function readState(box: Pick<Sandbox, 'env'>): { daemon?: { nextRun?: string }; sessions?: Record<string, unknown> } {
  try {
    return JSON.parse(readFileSync(syncStateFile(stateDir(box.env)), 'utf8')) as ReturnType<typeof readState>;
  } catch {
    return {};
  }
}

async function stop(daemon: Running): Promise<{ code: number | null; stdout: string }> {
  daemon.child.kill('SIGTERM');
  return daemon.done;
}

test('the daemon syncs at start, picks up a change of assignments on the schedule, and stops on SIGTERM with exit 0', async (t) => {
  const { box } = await daemonBox(t);
  const daemon = box.start([]);
  await daemon.waitFor(/"event":"sync.completed"/);
  const first = profileNames(readFileSync(box.configFile, 'utf8'));
  assert.ok(first.length > 0);
  box.emulator.setFixture({
    accounts: [
      ...builtinFixture().accounts,
      { accountId: '999999999999', accountName: 'MyCorp Late Arrival', roles: ['AdministratorAccess'] },
    ],
  });
  await daemon.waitFor(/"event":"profile.added"[^\n]*"accountId":"999999999999"/);
  assert.ok(profileNames(readFileSync(box.configFile, 'utf8')).includes('mycorp-late-arrival-admin'));
  const result = await stop(daemon);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /"event":"daemon.stopped"/);
});

test('a new token in the cache (a sign-in) triggers a sync of that session at once', async (t) => {
  const { box, accessToken } = await daemonBox(t, '0 0 1 1 *'); // the schedule never fires during the test
  box.emulator.revokeAccessToken(accessToken);
  const daemon = box.start([]);
  await daemon.waitFor(/"event":"login.required"/);
  assert.equal(profileNames(readFileSync(box.configFile, 'utf8')).length, 0);
  box.signIn(); // what `aws sso login` or `sso-sync login` in another terminal does
  await daemon.waitFor(/"event":"token.new"/);
  await daemon.waitFor(/"event":"sync.completed"/);
  assert.ok(profileNames(readFileSync(box.configFile, 'utf8')).length > 0);
  assert.equal((await stop(daemon)).code, 0);
});

test('an edit to the settings reloads them; an invalid edit keeps the old settings and says why', async (t) => {
  const { box } = await daemonBox(t, '0 0 1 1 *');
  const daemon = box.start([]);
  await daemon.waitFor(/"event":"sync.completed"/);
  writeSettings(box, 'schedule: "0 0 1 1 *"\nprofiles:\n  strip_prefix: [mycorp-]\n');
  await daemon.waitFor(/"event":"settings.reloaded"/);
  await until('the renamed profiles', () => profileNames(readFileSync(box.configFile, 'utf8')).includes('prod-admin'));
  await daemon.waitFor(/"event":"profile.renamed"[^\n]*"profile":"prod-admin","from":"mycorp-prod-admin"/);
  writeSettings(box, 'schedule: "every now and then"\n');
  await daemon.waitFor(/"event":"settings.invalid"[^\n]*schedule/);
  // A naming mistake is refused the same way, naming its key.
  writeSettings(box, 'schedule: "0 0 1 1 *"\nprofiles:\n  name: "{account}"\n');
  await daemon.waitFor(/"event":"settings.invalid"[^\n]*profiles\.name: the name must contain \{role\}/);
  // The old settings stay for the syncs that follow: a sign-in triggers one, and it succeeds with them.
  const completed = count(daemon.output(), 'sync.completed');
  box.signIn();
  await until('a sync after the invalid edit', () => count(daemon.output(), 'sync.completed') > completed);
  const result = await stop(daemon);
  assert.equal(count(result.stdout, 'sync.failed'), 0, 'no sync read the invalid file');
  assert.ok(profileNames(readFileSync(box.configFile, 'utf8')).includes('prod-admin'), 'still the reloaded rules');
});

for (const name of ['s.yml', 'sso-sync-settings']) {
  test(`a settings file named ${name} (not .yaml nor .json) is watched: the daemon starts, syncs, and reloads an edit`, async (t) => {
    const box = await sandbox({ fixture: builtinFixture() });
    t.after(() => box.close());
    box.writeConfig(sessionSection());
    box.signIn();
    const file = path.join(box.home, name);
    writeFileSync(file, 'schedule: "0 0 1 1 *"\n');
    const daemon = box.start(['--settings', file]);
    await daemon.waitFor(/"event":"sync.completed"/);
    assert.ok(profileNames(readFileSync(box.configFile, 'utf8')).includes('mycorp-prod-admin'));
    writeFileSync(file, 'schedule: "0 0 1 1 *"\nprofiles:\n  strip_prefix: [mycorp-]\n');
    await daemon.waitFor(/"event":"settings.reloaded"[^\n]*"reason":"the settings file changed"/);
    await until('the renamed profiles', () =>
      profileNames(readFileSync(box.configFile, 'utf8')).includes('prod-admin'),
    );
    const result = await stop(daemon);
    assert.equal(result.code, 0, daemon.output());
    assert.ok(statSync(file).isFile());
  });
}

test('SIGTERM during a sync leaves a whole file and exits 0', async (t) => {
  const { box } = await daemonBox(t, '0 0 1 1 *', 400); // slow requests: the signal lands mid-sync
  const before = readFileSync(box.configFile, 'utf8');
  const daemon = box.start([]);
  await daemon.waitFor(/"event":"daemon.started"/);
  await until('the sync asking the portal', () => box.emulator.stats().requests > 0);
  const result = await stop(daemon);
  assert.equal(result.code, 0);
  const after = readFileSync(box.configFile, 'utf8');
  assert.ok(
    after === before || (after.startsWith(before) && /# END sso-sync mycorp\n$/.test(after)),
    'the old file or the whole new one',
  );
  if (after === before) {
    // Cancelled before writing: nothing may be recorded as if it happened.
    assert.equal(count(result.stdout, 'profile.added'), 0);
    assert.equal((await box.run(['log', '--json'])).stdout, '');
    assert.match((await box.run(['status'])).stdout, /last sync: never/);
  }
});

test('a second daemon refuses to start and names the running one', async (t) => {
  const { box } = await daemonBox(t, '0 0 1 1 *');
  const first = box.start([]);
  await first.waitFor(/"event":"daemon.started"/);
  const second = await box.run([]);
  assert.equal(second.code, 2);
  assert.match(second.stderr, new RegExp(`an sso-sync daemon is already running \\(pid ${first.child.pid}`));
  assert.equal((await stop(first)).code, 0);
  // Once stopped, a daemon starts again.
  const third = box.start([]);
  await third.waitFor(/"event":"daemon.started"/);
  assert.equal((await stop(third)).code, 0);
});

// That the daemon's own writes are not reported is shown in test/daemon/daemon.test.ts, on a fake clock.
test('a block removed by hand is logged, and the next sync (here after SIGHUP) writes it again', async (t) => {
  const { box } = await daemonBox(t, '0 0 1 1 *');
  const daemon = box.start([]);
  await daemon.waitFor(/"event":"sync.completed"/);
  writeFileSync(box.configFile, sessionSection());
  await daemon.waitFor(/"event":"block.removed"/);
  assert.equal(profileNames(readFileSync(box.configFile, 'utf8')).length, 0, 'not repaired before the next sync');
  daemon.child.kill('SIGHUP');
  await daemon.waitFor(/"event":"settings.reloaded"[^\n]*SIGHUP/);
  await until('the block written again', () => profileNames(readFileSync(box.configFile, 'utf8')).length > 0);
  const result = await stop(daemon);
  assert.equal(result.code, 0);
  assert.equal(count(result.stdout, 'block.removed'), 1);
});

test('a config rewritten in place slowly (emptied, written 600 ms later) is not reported as a removed block', async (t) => {
  const { box } = await daemonBox(t, '0 0 1 1 *');
  const daemon = box.start([]);
  await daemon.waitFor(/"event":"sync.completed"/);
  // Written again with a hand edit inside the block: the report of that edit comes after whatever the daemon made
  // of the empty moment, so a removed block reported for that moment would be in the output before it.
  const edited = readFileSync(box.configFile, 'utf8').replace(
    '# END sso-sync mycorp\n',
    '# a note\n# END sso-sync mycorp\n',
  );
  // As \`generator > ~/.aws/config\` does: the shell empties the file, the generator writes it later.
  const fd = openSync(box.configFile, 'w');
  await new Promise((r) => setTimeout(r, 600));
  writeSync(fd, edited);
  closeSync(fd);
  await daemon.waitFor(/"event":"block.edited_by_hand"/);
  assert.equal(count(daemon.output(), 'block.removed'), 0, 'the half-written moment is not reported');
  assert.equal(count(daemon.output(), 'config.removed'), 0);
  // The watcher still works: a real removal of the block is reported.
  writeFileSync(box.configFile, sessionSection());
  await daemon.waitFor(/"event":"block.removed"/);
  const result = await stop(daemon);
  assert.equal(count(result.stdout, 'block.removed'), 1, 'only the real removal is reported');
  assert.equal(count(result.stdout, 'config.removed'), 0);
});

// That it is reported once for one problem, not at every change, is shown in test/daemon on a fake clock.
test('a config changed into one no sync can read (UTF-16) is reported when it changes', async (t) => {
  const { box } = await daemonBox(t, '0 0 1 1 *');
  const daemon = box.start([]);
  await daemon.waitFor(/"event":"sync.completed"/);
  const utf16 = Buffer.concat([
    Buffer.from([0xff, 0xfe]),
    Buffer.from(readFileSync(box.configFile, 'utf8'), 'utf16le'),
  ]);
  writeFileSync(box.configFile, utf16);
  await daemon.waitFor(/"event":"config.unreadable_now"/);
  const result = await stop(daemon);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /is UTF-16LE text[^\n]*noticed when the file changed/);
});

test('status reports the token, the last sync and the running daemon, as text and as JSON', async (t) => {
  const { box } = await daemonBox(t, '0 0 1 1 *');
  const before = await box.run(['status']);
  assert.equal(before.code, 0, before.stderr);
  assert.match(before.stdout, /^daemon: not running/m);
  assert.match(before.stdout, /^ {2}last sync: never$/m);
  assert.match(
    before.stdout,
    /^ {2}token: {5}valid until .*\(in (59|60) min\), not refreshable: it holds no refresh token/m,
  );

  const daemon = box.start([]);
  await daemon.waitFor(/"event":"sync.completed"/);
  await until('the next run and the sync recorded', () => {
    const state = readState(box);
    return state.daemon?.nextRun !== undefined && state.sessions?.mycorp !== undefined;
  });
  const json = JSON.parse((await box.run(['status', '--json'])).stdout) as {
    daemon: { running: boolean; pid: number; nextRun: string };
    sessions: {
      name: string;
      token: { state: string; refreshable: boolean };
      lastSync: { outcome: string };
      profiles: number;
    }[];
  };
  assert.equal(json.daemon.running, true);
  assert.equal(json.daemon.pid, daemon.child.pid);
  assert.ok(Date.parse(json.daemon.nextRun) > Date.now());
  assert.deepEqual(
    json.sessions.map((s) => [s.name, s.token.state, s.token.refreshable, s.lastSync.outcome, s.profiles]),
    [['mycorp', 'valid', false, 'ok', 16]],
  );
  const text = await box.run(['status']);
  assert.match(text.stdout, new RegExp(`^daemon: running \\(pid ${daemon.child.pid}, since .*; next sync `, 'm'));
  assert.match(text.stdout, /^ {2}profiles: {2}16$/m);
  assert.equal((await stop(daemon)).code, 0);
});

test('sso-sync log shows the history the daemon and --once wrote, filtered by session and time, as text and JSON', async (t) => {
  const { box } = await daemonBox(t, '*/2 * * * * *');
  assert.match((await box.run(['log'])).stdout, /no history yet|no log file/i);
  const daemon = box.start([]);
  await daemon.waitFor(/"event":"sync.completed"/);
  box.emulator.setFixture({ accounts: builtinFixture().accounts.slice(1) });
  await daemon.waitFor(/"event":"profile.removed"/);
  assert.equal((await stop(daemon)).code, 0);
  assert.equal((await box.run(['--once', '--dry-run'])).code, 0); // dry runs are not history

  const text = await box.run(['log', '--since', '1h']);
  assert.equal(text.code, 0, text.stderr);
  const added = builtinFixture().accounts.reduce((n, a) => n + a.roles.length, 0);
  const removed = builtinFixture().accounts[0]!.roles.length;
  assert.equal(text.stdout.split('\n').filter((l) => /\smycorp\s+\+\s/.test(l)).length, added, text.stdout);
  assert.equal(text.stdout.split('\n').filter((l) => /\smycorp\s+-\s/.test(l)).length, removed);
  const json = (await box.run(['log', '--json', '--session', 'mycorp'])).stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; accountId: string });
  assert.equal(json.filter((e) => e.event === 'profile.added').length, added);
  assert.deepEqual(
    [...new Set(json.filter((e) => e.event === 'profile.removed').map((e) => e.accountId))],
    [builtinFixture().accounts[0]!.accountId],
  );
  assert.equal((await box.run(['log', '--session', 'other', '--json'])).stdout, '');
  const bad = await box.run(['log', '--since', 'yesterday-ish']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--since/);
});

test('the daemon refreshes a token on its own timer, before it expires, without a sync and without taking it for a sign-in', async (t) => {
  const box = await sandbox({ fixture: builtinFixture(), accessTokenLifetimeSeconds: 64 });
  t.after(() => box.close());
  box.writeConfig(sessionSection());
  // The window opens 4 s after sign-in, but a refresh never comes sooner than half the life left: ~32 s.
  writeSettings(box, 'schedule: "0 0 1 1 *"\ntoken:\n  refresh_window_minutes: 1\n');
  assert.equal((await box.loginWithBrowser()).code, 0);
  const before = cachedToken(box);

  const daemon = box.start([]);
  await daemon.waitFor(/"event":"sync.completed"/);
  await daemon.waitFor(/"event":"token.refreshed"/, 50_000);
  // That the watcher does not take the daemon's own write for a sign-in is shown in test/daemon on a fake clock.
  const result = await stop(daemon);
  assert.notEqual(cachedToken(box).accessToken, before.accessToken);
  assert.equal(count(result.stdout, 'token.new'), 0, 'its own refresh is not a sign-in');
  assert.equal(count(result.stdout, 'sync.completed'), 1, 'the refresh needed no sync');
});

test('with notify: true, sign-in required shows a desktop notification (started without a shell)', async (t) => {
  const { box, accessToken } = await daemonBox(t, '0 0 1 1 *');
  writeSettings(box, 'schedule: "0 0 1 1 *"\nnotify: true\n');
  const bin = path.join(box.home, 'bin');
  const record = path.join(box.home, 'notifications');
  mkdirSync(bin);
  writeFileSync(
    path.join(bin, 'notify-send'),
    `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done >> '${record}'\n`,
    { mode: 0o755 },
  );
  box.emulator.revokeAccessToken(accessToken);
  const daemon = box.start([], { env: { PATH: `${bin}:${process.env.PATH}` } });
  await daemon.waitFor(/"event":"login.required"/);
  await until(
    'the notification',
    () => existsSync(record) && readFileSync(record, 'utf8').includes('sign-in required'),
  );
  assert.deepEqual(readFileSync(record, 'utf8').split('\n').filter(Boolean), [
    '--app-name=sso-sync',
    'sso-sync: sign-in required',
    'sso-session mycorp: run sso-sync login --session mycorp',
  ]);
  assert.equal((await stop(daemon)).code, 0);
});

test('a config damaged right after a sync is still noticed (the daemon knows what it wrote)', async (t) => {
  const { box } = await daemonBox(t, '0 0 1 1 *');
  const daemon = box.start([]);
  await daemon.waitFor(/"event":"sync.completed"/);
  writeFileSync(box.configFile, readFileSync(box.configFile, 'utf8').replace('# END sso-sync mycorp\n', ''));
  await daemon.waitFor(/"event":"config.damaged"/);
  assert.equal((await stop(daemon)).code, 0);
});

test('directories that do not exist yet (a fresh machine) are created and watched: a first sign-in syncs at once', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(sessionSection());
  rmSync(path.join(box.home, '.aws', 'sso'), { recursive: true, force: true });
  const daemon = box.start([]);
  await daemon.waitFor(/"event":"login.required"/);
  assert.ok(existsSync(path.join(box.home, '.aws', 'sso', 'cache')));
  box.signIn();
  await daemon.waitFor(/"event":"token.new"/);
  await daemon.waitFor(/"event":"sync.completed"/);
  assert.ok(existsSync(path.join(box.home, '.config', 'sso-sync')), 'the settings directory was created');
  writeSettings(box, 'profiles:\n  strip_prefix: [mycorp-]\n');
  await daemon.waitFor(/"event":"settings.reloaded"/);
  assert.equal((await stop(daemon)).code, 0);
});

test('a token that cannot be refreshed is reported once, the scheduled syncs then skip it, and the person is notified once', async (t) => {
  const { box } = await daemonBox(t, '*/1 * * * * *');
  writeSettings(box, 'schedule: "*/1 * * * * *"\nnotify: true\n');
  const bin = path.join(box.home, 'bin');
  const record = path.join(box.home, 'notifications');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'notify-send'), `#!/bin/sh\necho "$2" >> '${record}'\n`, { mode: 0o755 });
  const expired = {
    ...cachedToken(box),
    expiresAt: new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  writeFileSync(tokenCachePath(box.home, 'mycorp'), JSON.stringify(expired));
  const daemon = box.start([], { env: { PATH: `${bin}:${process.env.PATH}`, SSO_SYNC_LOG_LEVEL: 'debug' } });
  await until('three skipped syncs', () => count(daemon.output(), 'sync.skipped') >= 3, { timeoutMs: 20_000 });
  await until('the notification', () => existsSync(record));
  const result = await stop(daemon);
  // In the order they came: the start sync and its one report, then only scheduled syncs that leave it out.
  // (The daemon's sync.started line has the reason; runOnce's has none.)
  const order = logLines(result.stdout)
    .filter(
      (l) =>
        (l.event === 'sync.started' && 'reason' in l) || ['login.required', 'sync.skipped'].includes(String(l.event)),
    )
    .map((l) => l.event);
  assert.match(order.join(' '), /^sync\.started login\.required( sync\.skipped)+$/, 'one report in all');
  assert.deepEqual(readFileSync(record, 'utf8').trim().split('\n'), ['sso-sync: sign-in required']);
});

// That the daemon does not then refresh in a loop is shown in test/daemon on a fake clock.
test("with a refresh window as long as the token's life, the start sync refreshes the token once", async (t) => {
  const box = await sandbox({ fixture: builtinFixture(), accessTokenLifetimeSeconds: 64 });
  t.after(() => box.close());
  box.writeConfig(sessionSection());
  writeSettings(box, 'schedule: "0 0 1 1 *"\ntoken:\n  refresh_window_minutes: 90\n');
  assert.equal((await box.loginWithBrowser()).code, 0);
  const afterLogin = box.emulator.stats().byRoute.token!;
  const daemon = box.start([]);
  await daemon.waitFor(/"event":"sync.completed"/);
  assert.equal(box.emulator.stats().byRoute.token! - afterLogin, 1, 'one refresh, by the sync');
  const result = await stop(daemon);
  assert.equal(result.code, 0);
  const order = logLines(result.stdout).map((l) => l.event);
  assert.ok(order.indexOf('token.refreshed') < order.indexOf('sync.completed'));
});

test("SIGTERM at the daemon's very start, before it has loaded or synced anything, is a clean stop: exit 0", async (t) => {
  const { box } = await daemonBox(t, '0 0 1 1 *');
  const before = readFileSync(box.configFile, 'utf8');
  const pidFile = path.join(stateDir(box.env), 'daemon.pid');
  const daemon = box.start([]);
  // The pid file is claimed early in the start, before the settings are read and the daemon's own handlers are
  // set: looked for often, and signalled the moment it appears.
  for (const end = Date.now() + 10_000; !existsSync(pidFile);) {
    assert.ok(Date.now() < end, `the daemon never claimed its pid file:\n${daemon.output()}`);
    await new Promise((r) => setTimeout(r, 2));
  }
  const early = !daemon.output().includes('"event":"daemon.started"');
  daemon.child.kill('SIGTERM');
  const result = await daemon.done;
  assert.equal(result.signal, null, 'not ended by the signal');
  assert.equal(result.code, 0, result.stderr);
  t.diagnostic(early ? 'the signal came before the daemon had started' : 'the daemon had started already');
  const after = readFileSync(box.configFile, 'utf8');
  assert.ok(after === before || after.startsWith(before), 'the file is whole');
});

test('a generator that writes a new sso-session, pauses and writes more: the daemon syncs it and keeps all it wrote', async (t) => {
  const { box } = await daemonBox(t, '0 0 1 1 *');
  box.signIn('newcorp', { startUrl: 'https://d-9999999999.awsapps.com/start' });
  const daemon = box.start([]);
  await daemon.waitFor(/"event":"sync.completed"/);
  const synced = readFileSync(box.configFile, 'utf8');
  // The daemon sees the new [sso-session] and syncs at once, while the generator still holds the file to write. Its
  // pause outlasts the daemon's reaction on a busy machine: a worker looks at the config, another finds its sessions,
  // and a third syncs, each a process that starts.
  const head = `${synced}\n${sessionSection('newcorp', 'https://d-9999999999.awsapps.com/start')}`;
  const script = `{ printf '%s' '${head}'; sleep 3; printf '\\n[profile generated-late]\\nregion = us-east-1\\n'; } > '${box.configFile}'`;
  const generator = spawn('/bin/sh', ['-c', script], { stdio: 'ignore' });
  t.after(() => generator.kill('SIGKILL'));
  await new Promise((resolve) => generator.once('exit', resolve));
  await until(
    'the newcorp block written',
    () => readFileSync(box.configFile, 'utf8').includes('# END sso-sync newcorp'),
    {
      detail: () => daemon.output(),
    },
  );
  const text = readFileSync(box.configFile, 'utf8');
  assert.ok(
    text.includes('[profile generated-late]\nregion = us-east-1\n'),
    `the generator's later lines are kept:\n${text}`,
  );
  assert.ok(count(daemon.output(), 'config.busy') >= 1, `the daemon waited for the generator:\n${daemon.output()}`);
  assert.equal((await stop(daemon)).code, 0);
});
