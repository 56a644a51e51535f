/**
 * The daemon as a child process against the emulator while signed out (its refresh token refused): it says so once,
 * sends the refused refresh token once, leaves the session out of each scheduled sync, `status` still says sign-in
 * is required, and a sign-in syncs at once.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { tokenCachePath } from '../../src/paths.js';
import { cachedToken, writeSettings } from '../helpers/box-files.js';
import { profileNames, sandbox, sessionSection } from '../helpers/sandbox.js';
import { until } from '../helpers/until.js';

/** Counts the JSON log lines of an event so far. */
const count = (output: string, event: string) =>
  output.split('\n').filter((l) => l.includes(`"event":"${event}"`)).length;

test('signed out, the daemon says it once and skips the scheduled syncs quietly until a sign-in', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(sessionSection());
  const login = await box.loginWithBrowser();
  assert.equal(login.code, 0, login.stderr);
  // The token expired a minute ago, and its sign-in ended on the service's side: the refresh token is refused.
  const signedIn = cachedToken(box);
  const expired = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
  writeFileSync(tokenCachePath(box.home, 'mycorp'), JSON.stringify({ ...signedIn, expiresAt: expired }));
  box.emulator.revokeRefreshToken(signedIn.refreshToken!);
  writeSettings(box, 'schedule: "* * * * * *"\n'); // every second
  const tokenCalls = box.emulator.stats().byRoute.token ?? 0;

  const daemon = box.start(['--log-level', 'debug']);
  await until('three scheduled syncs left out', () => count(daemon.output(), 'sync.skipped') >= 3, {
    detail: () => daemon.output(),
  });
  const output = daemon.output();
  assert.equal(count(output, 'login.required'), 1, output);
  assert.match(output, /"event":"login.required".*the service refused the refresh \(InvalidGrantException/);
  assert.equal(output.match(/InvalidGrantException/g)?.length, 1, 'the refusal is in the log once');
  assert.equal((box.emulator.stats().byRoute.token ?? 0) - tokenCalls, 1, 'the refused refresh token was sent once');
  assert.match(output, /"level":"debug",[^\n]*"event":"sync.skipped"[^\n]*not syncing mycorp: waiting for a sign-in/);

  const status = await box.run(['status']);
  assert.match(status.stdout, /last sync: .*sign-in-required/, status.stdout);

  box.signIn(); // what `aws sso login` or `sso-sync login` in another terminal does
  await daemon.waitFor(/"event":"token.new"/);
  // The sync the sign-in starts, not the next scheduled one.
  await daemon.waitFor(/"event":"sync.started","reason":"sign-in"/);
  await daemon.waitFor(/"event":"sync.completed"/);
  assert.ok(profileNames(readFileSync(box.configFile, 'utf8')).length > 0);
  daemon.child.kill('SIGTERM');
  const done = await daemon.done;
  assert.equal(done.code, 0);
  assert.equal(count(done.stdout, 'login.required'), 1);
});
