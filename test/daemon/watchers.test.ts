/** The daemon's watches on a fake clock: which path goes to which handler, and the debounce of each. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { debounceMs, Watchers } from '../../src/daemon/watchers.js';
import type { WatchedPath, WatchProblem } from '../../src/daemon/watch-files.js';
import { tokenCacheDir, tokenCachePath } from '../../src/paths.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { recordingLog } from './harness.js';

const home = '/home/me';
const configFile = path.join(home, '.aws', 'config');
const settingsFile = path.join(home, 'team-settings');

function watchers(fail = false) {
  const clock = new FakeClock();
  const { log, lines } = recordingLog();
  const handled: string[] = [];
  let onChange: (file: string) => void = () => undefined;
  let onProblem: WatchProblem = () => undefined;
  let watched: WatchedPath[] = [];
  let closed = false;
  const handle = (what: string) => {
    handled.push(what);
    return fail ? Promise.reject(new Error(`${what} failed`)) : Promise.resolve();
  };
  const w = new Watchers(
    {
      clock,
      log,
      home,
      configFile,
      settingsFile,
      watch: (paths, fn, problem) => {
        watched = paths;
        onChange = fn;
        onProblem = problem;
        return { close: () => Promise.resolve(void (closed = true)) };
      },
    },
    {
      config: () => handle('config'),
      settings: () => handle('settings'),
      token: (file) => handle(`token ${path.basename(file)}`),
    },
  );
  const problem = (dir: string, code: string) => onProblem(dir, Object.assign(new Error(code), { code }));
  return {
    w,
    clock,
    handled,
    lines,
    change: (f: string) => onChange(f),
    problem,
    watched: () => watched,
    closed: () => closed,
  };
}

test('the config and the settings file are watched as files, whatever their names; the token cache as a directory', () => {
  const { watched } = watchers();
  assert.deepEqual(watched(), [
    { path: configFile, kind: 'file' },
    { path: settingsFile, kind: 'file' },
    { path: tokenCacheDir(home), kind: 'dir' },
  ]);
});

test('each path is handled once its events have stopped for 300 ms; other files are ignored', async () => {
  const { clock, handled, change } = watchers();
  const token = tokenCachePath(home, 'mycorp');
  change(configFile);
  change(token);
  await clock.advance(200);
  change(configFile); // the same save, a moment later: its wait starts again
  change(settingsFile);
  change(path.join(home, '.aws', 'credentials'));
  change(path.join(tokenCacheDir(home), 'notes.txt'));
  await clock.advance(debounceMs - 200 - 1);
  assert.deepEqual(handled, []);
  await clock.advance(1);
  assert.deepEqual(handled, [`token ${path.basename(token)}`]);
  await clock.advance(200 - 1);
  assert.deepEqual(handled, [`token ${path.basename(token)}`]);
  await clock.advance(1);
  assert.deepEqual(handled, [`token ${path.basename(token)}`, 'config', 'settings']);
  await clock.advance(3600_000);
  assert.equal(handled.length, 3);
});

test("a handler's failure is logged and the watches go on", async () => {
  const { clock, handled, change, lines } = watchers(true);
  change(configFile);
  await clock.advance(debounceMs);
  change(configFile);
  await clock.advance(debounceMs);
  assert.deepEqual(handled, ['config', 'config']);
  assert.deepEqual(
    lines.map((l) => [l.event, l.msg]),
    [
      ['daemon.error', 'Error: config failed'],
      ['daemon.error', 'Error: config failed'],
    ],
  );
});

test('after halt, a change waiting for its debounce and any later one are dropped; close ends the watch', async () => {
  const { w, clock, handled, change, closed } = watchers();
  change(configFile);
  w.halt();
  change(settingsFile);
  await clock.advance(3600_000);
  assert.deepEqual(handled, []);
  assert.deepEqual(clock.pending(), []);
  await w.close();
  assert.equal(closed(), true);
});

test('a directory that cannot be watched is said, with advice fitting the cause', () => {
  const { problem, lines } = watchers();
  problem('/home/me/.aws', 'ENOSPC');
  problem('/home/me/.aws/sso/cache', 'EMFILE');
  problem('/home/me/.config/sso-sync', 'EACCES');
  assert.deepEqual(
    lines.map((l) => [l.event, l.dir, l.code]),
    [
      ['watch.failed', '/home/me/.aws', 'ENOSPC'],
      ['watch.failed', '/home/me/.aws/sso/cache', 'EMFILE'],
      ['watch.failed', '/home/me/.config/sso-sync', 'EACCES'],
    ],
  );
  assert.match(
    String(lines[0]?.msg),
    /cannot watch \/home\/me\/.aws \(ENOSPC\): changes there are seen only at the next/,
  );
  assert.match(String(lines[0]?.msg), /sudo sysctl fs\.inotify\.max_user_watches=524288/);
  assert.match(String(lines[1]?.msg), /fs\.inotify\.max_user_instances/);
  assert.match(String(lines[2]?.msg), /restart the daemon once the cause is fixed/);
  assert.doesNotMatch(String(lines[2]?.msg), /sysctl/);
});
