/** `sso-sync --once` as a person runs it: the built CLI, a temp HOME, the emulator, the real SDK. */
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { acquireLock } from '../../src/fs/lock-file.js';
import { builtinFixture, generateFixture } from '../../src/emulator/fixture.js';
import { chownTree, cliPath, logLines, mtimeNs, profileNames, sandbox, sessionSection } from '../helpers/sandbox.js';
import { until } from '../helpers/until.js';

const userText = `# my own settings, kept as they are\n[default]\nregion = eu-west-1\noutput = json\n\n${sessionSection()}`;

test('a first sync writes one profile per account and role into a managed block, and logs each', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(userText);
  const token = box.signIn();

  const run = await box.run(['--once']);
  assert.equal(run.code, 0, run.stderr);
  const text = readFileSync(box.configFile, 'utf8');
  assert.ok(text.startsWith(userText), "the person's own lines are kept byte for byte");
  const expected = builtinFixture().accounts.reduce((n, a) => n + a.roles.length, 0);
  assert.equal(profileNames(text).length, expected);
  assert.match(text, /^# BEGIN sso-sync mycorp .*checksum [0-9a-f]{8}\)$/m);
  assert.match(text, /^# END sso-sync mycorp$/m);
  assert.doesNotMatch(
    text.slice(userText.length),
    /\[sso-session mycorp\]/,
    'the session section the person wrote is not repeated',
  );

  const added = logLines(run.stdout).filter((l) => l.event === 'profile.added');
  assert.equal(added.length, expected);
  for (const l of added) assert.match(String(l.accountId), /^\d{12}$/);
  const done = logLines(run.stdout).find((l) => l.event === 'sync.completed');
  assert.equal(done?.added, expected);
  assert.ok(!run.stdout.includes(token) && !run.stderr.includes(token), 'the access token never reaches the output');
});

test('a second sync with nothing new writes nothing: the mtime stays', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(userText);
  box.signIn();
  assert.equal((await box.run(['--once'])).code, 0);
  const before = readFileSync(box.configFile);
  const mtime = mtimeNs(box.configFile);
  const again = await box.run(['--once']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(mtimeNs(box.configFile), mtime);
  assert.deepEqual(readFileSync(box.configFile), before);
  const done = logLines(again.stdout).find((l) => l.event === 'sync.completed');
  assert.deepEqual([done?.added, done?.removed, done?.changed, done?.written], [0, 0, 0, false]);
});

test('changed assignments are added, removed and logged on the next sync', async (t) => {
  const fixture = builtinFixture();
  const box = await sandbox({ fixture });
  t.after(() => box.close());
  box.writeConfig(userText);
  box.signIn();
  assert.equal((await box.run(['--once'])).code, 0);
  const [gone, ...rest] = fixture.accounts;
  box.emulator.setFixture({
    accounts: [...rest, { accountId: '999999999999', accountName: 'MyCorp New Team', roles: ['AdministratorAccess'] }],
  });
  const run = await box.run(['--once']);
  assert.equal(run.code, 0, run.stderr);
  const lines = logLines(run.stdout);
  const removed = lines.filter((l) => l.event === 'profile.removed');
  assert.deepEqual(
    removed.map((l) => l.accountId),
    gone!.roles.map(() => gone!.accountId),
  );
  assert.deepEqual(
    lines.filter((l) => l.event === 'profile.added').map((l) => [l.accountId, l.role]),
    [['999999999999', 'AdministratorAccess']],
  );
  const text = readFileSync(box.configFile, 'utf8');
  assert.ok(!text.includes(`sso_account_id = ${gone!.accountId}`));
  assert.match(text, /sso_account_id = 999999999999/);
});

test('pagination across several pages of accounts yields every account exactly once', async (t) => {
  const fixture = generateFixture({ accounts: 250, rolesPerAccount: 2, seed: 7 });
  const box = await sandbox({ fixture });
  t.after(() => box.close());
  box.writeConfig(sessionSection());
  box.signIn();
  const run = await box.run(['--once']);
  assert.equal(run.code, 0, run.stderr);
  const text = readFileSync(box.configFile, 'utf8');
  const ids = [...text.matchAll(/^sso_account_id = (\d+)$/gm)].map((m) => m[1]);
  assert.equal(new Set(ids).size, 250);
  assert.equal(ids.length, 500);
  assert.ok(box.emulator.stats().byRoute.accounts! >= 3, 'ListAccounts took several pages');
});

test('a throttled emulator is absorbed by pacing and retries: the sync completes', async (t) => {
  const fixture = generateFixture({ accounts: 150, rolesPerAccount: 3, seed: 3 });
  const box = await sandbox({ fixture, latencyMs: 5, throttle: { ratePerSecond: 40, burst: 10 } });
  t.after(() => box.close());
  box.writeConfig(sessionSection());
  box.signIn();
  const run = await box.run(['--once']);
  assert.equal(run.code, 0, run.stderr);
  assert.ok(box.emulator.stats().throttled > 0, 'the emulator did throttle');
  assert.equal(profileNames(readFileSync(box.configFile, 'utf8')).length, 450);
});

for (const [fault, code] of [
  [{ route: 'roles', after: 3, action: 'server-error' }, 1],
  [{ route: 'roles', after: 2, action: 'malformed' }, 1],
  [{ route: 'accounts', action: 'drop' }, 1],
  [{ route: 'roles', after: 4, action: 'unauthorized' }, 3],
] as const) {
  test(`a ${fault.action} fault fails the sync with exit ${code} and leaves the file byte-identical`, async (t) => {
    const box = await sandbox({ fixture: builtinFixture() });
    t.after(() => box.close());
    box.writeConfig(userText);
    box.signIn();
    assert.equal((await box.run(['--once'])).code, 0);
    box.emulator.setFixture(generateFixture({ accounts: 20, rolesPerAccount: 2 }));
    box.emulator.setFaults([fault]);
    const before = readFileSync(box.configFile);
    const mtime = mtimeNs(box.configFile);
    const run = await box.run(['--once']);
    assert.equal(run.code, code, run.stderr);
    assert.deepEqual(readFileSync(box.configFile), before);
    assert.equal(mtimeNs(box.configFile), mtime);
    assert.match(run.stderr, code === 3 ? /sign|login/ : /Nothing was written/);
    assert.ok(logLines(run.stdout).some((l) => l.event === (code === 3 ? 'login.required' : 'sync.failed')));
  });
}

test('no token, an expired token, a damaged cache file: exit 3 naming the command to run', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(userText);
  const before = readFileSync(box.configFile);

  const none = await box.run(['--once']);
  assert.equal(none.code, 3);
  assert.match(none.stderr, /no token for sso-session mycorp .*aws sso login --sso-session mycorp/s);

  box.signIn('mycorp', { expiresInSeconds: -60 });
  const expired = await box.run(['--once']);
  assert.equal(expired.code, 3);
  assert.match(expired.stderr, /expired at .*aws sso login --sso-session mycorp/s);

  const cacheDir = path.join(box.home, '.aws', 'sso', 'cache');
  const file = path.join(cacheDir, readdirSync(cacheDir)[0]!);
  writeFileSync(file, '{"accessToken": "abc-secret-part", "expiresAt": ');
  const damaged = await box.run(['--once']);
  assert.equal(damaged.code, 3);
  assert.ok(damaged.stderr.includes(file), 'the message names the cache file');
  assert.ok(!damaged.stderr.includes('abc-secret-part'), 'the message never quotes the file');
  assert.equal(
    readFileSync(file, 'utf8'),
    '{"accessToken": "abc-secret-part", "expiresAt": ',
    'the damaged cache file is not rewritten',
  );
  assert.deepEqual(readFileSync(box.configFile), before);
});

test('--dry-run prints a unified diff and writes nothing', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(userText);
  box.signIn();
  const mtime = mtimeNs(box.configFile);
  const run = await box.run(['--once', '--dry-run']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^--- .*config\tcurrent$/m);
  assert.match(run.stdout, /^\+\+\+ .*config\tafter sync \(dry run\)$/m);
  assert.match(run.stdout, /^\+\[profile mycorp-prod-admin\]$/m);
  assert.ok(logLines(run.stdout).length === 0, 'log lines go to stderr, the diff alone to stdout');
  assert.ok(logLines(run.stderr).some((l) => l.event === 'profile.added' && l.dryRun === true));
  assert.equal(mtimeNs(box.configFile), mtime);
  assert.equal(readFileSync(box.configFile, 'utf8'), userText);
});

test('damaged markers are refused with exit 4; the file is not touched', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  const damaged = `${userText}\n# BEGIN sso-sync mycorp (managed: edits inside are replaced; checksum 00000000)\n[profile kept]\nregion = x\n\n[profile after-the-damage]\nregion = y\n`;
  box.writeConfig(damaged);
  box.signIn();
  const run = await box.run(['--once']);
  assert.equal(run.code, 4);
  assert.match(run.stderr, /config:\d+: the block for "mycorp" has no END marker/);
  assert.equal(readFileSync(box.configFile, 'utf8'), damaged);
  assert.equal(box.emulator.stats().requests, 0, 'no call to AWS for a file that cannot be written');
  const status = JSON.parse((await box.run(['status', '--json'])).stdout) as {
    sessions: { lastSync: { outcome: string; message: string } }[];
  };
  assert.equal(status.sessions[0]?.lastSync.outcome, 'failed', 'status shows the refused run');
  assert.match(status.sessions[0].lastSync.message, /markers .* are damaged/);
});

test('a result that would remove most profiles is held unless allowed', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(userText);
  box.signIn();
  assert.equal((await box.run(['--once'])).code, 0);
  const before = readFileSync(box.configFile);
  box.emulator.setFixture({ accounts: [] });
  const held = await box.run(['--once']);
  assert.equal(held.code, 1);
  assert.match(held.stderr, /held/);
  assert.ok(logLines(held.stdout).some((l) => l.event === 'sync.held' && l.session === 'mycorp'));
  assert.deepEqual(readFileSync(box.configFile), before);

  const allowed = await box.run(['--once', '--allow-mass-removal']);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.equal(profileNames(readFileSync(box.configFile, 'utf8')).length, 0);
  assert.ok(readFileSync(box.configFile, 'utf8').startsWith(userText));
});

test('a symlinked config stays a symlink and its target is written', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  const dotfiles = path.join(box.home, 'dotfiles');
  mkdirSync(dotfiles);
  const target = path.join(dotfiles, 'aws-config');
  writeFileSync(target, userText, { mode: 0o640 });
  chmodSync(target, 0o640);
  mkdirSync(path.dirname(box.configFile), { recursive: true });
  symlinkSync(target, box.configFile);
  box.signIn();
  const run = await box.run(['--once']);
  assert.equal(run.code, 0, run.stderr);
  assert.ok(lstatSync(box.configFile).isSymbolicLink());
  assert.equal(realpathSync(box.configFile), target);
  assert.ok(readFileSync(target, 'utf8').startsWith(userText));
  assert.ok(profileNames(readFileSync(target, 'utf8')).length > 0);
  assert.equal(statSync(target).mode & 0o777, 0o640, 'the mode is kept');
  assert.deepEqual(readdirSync(dotfiles), ['aws-config'], 'no temp file left beside the target');
});

test('a new config file is created 0600 in a 0700 directory', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  const file = path.join(box.home, 'fresh', 'aws', 'config');
  writeFileSync(
    path.join(box.home, 'settings.yaml'),
    'sessions:\n  mycorp:\n    start_url: https://d-1234567890.awsapps.com/start\n    region: eu-north-1\n',
  );
  box.signIn();
  const run = await box.run(['--once', '--settings', path.join(box.home, 'settings.yaml')], {
    env: { AWS_CONFIG_FILE: file },
  });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
  const text = readFileSync(file, 'utf8');
  assert.match(
    text,
    /^\[sso-session mycorp\]\nsso_region = eu-north-1\nsso_start_url = https:\/\/d-1234567890.awsapps.com\/start\nsso_registration_scopes = sso:account:access$/m,
  );
});

test('a read-only directory: a clear error, exit 4, nothing lost', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(userText);
  box.signIn();
  const awsDir = path.dirname(box.configFile);
  // Root ignores permissions, so as root the CLI runs as an unprivileged user who owns the temp HOME.
  const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  if (asUser.uid !== undefined) {
    chmodSync(box.home, 0o755);
    chownTree(box.home, asUser.uid, asUser.gid);
  }
  chmodSync(awsDir, 0o500);
  const run = await box.run(['--once'], asUser).finally(() => chmodSync(awsDir, 0o700));
  assert.equal(run.code, 4, run.stderr);
  assert.ok(run.stderr.includes(`cannot write in ${awsDir}: permission denied`), run.stderr);
  assert.equal(readFileSync(box.configFile, 'utf8'), userText);

  // Once synced, a read-only directory is fine as long as nothing changes: no lock, no write is needed.
  assert.equal((await box.run(['--once'], asUser)).code, 0);
  chmodSync(awsDir, 0o500);
  const unchanged = await box.run(['--once'], asUser).finally(() => chmodSync(awsDir, 0o700));
  assert.equal(unchanged.code, 0, unchanged.stderr);
});

test('three sso-sync processes at once leave one whole block with every profile once', async (t) => {
  const box = await sandbox({ fixture: generateFixture({ accounts: 40, rolesPerAccount: 2 }), latencyMs: 2 });
  t.after(() => box.close());
  box.writeConfig(userText);
  box.signIn();
  const runs = await Promise.all([box.run(['--once']), box.run(['--once']), box.run(['--once'])]);
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  const text = readFileSync(box.configFile, 'utf8');
  assert.equal(text.match(/^# BEGIN sso-sync mycorp /gm)?.length, 1);
  assert.equal(profileNames(text).length, 80);
  assert.equal(new Set(profileNames(text)).size, 80);
  assert.ok(text.startsWith(userText));
});

test('bad usage and bad settings exit 2 with the problem named', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(userText);
  const unknownFlag = await box.run(['--once', '--bogus']);
  assert.equal(unknownFlag.code, 2);
  assert.match(unknownFlag.stderr, /--bogus/);
  const unknownSession = await box.run(['--once', '--session', 'nope']);
  assert.equal(unknownSession.code, 2);
  assert.match(unknownSession.stderr, /no sso-session named nope; the known sessions are mycorp/);
  const settings = path.join(box.home, 'bad.yaml');
  writeFileSync(settings, 'profiles:\n  default_region: nowhere\n  nmae: x\n');
  const bad = await box.run(['--once', '--settings', settings]);
  assert.equal(bad.code, 2);
  assert.ok(bad.stderr.includes(`${settings}: profiles.default_region: expected an AWS region`));
  assert.ok(bad.stderr.includes(`${settings}: profiles: unknown key nmae`));
  const missing = await box.run(['--once', '--settings', path.join(box.home, 'none.yaml')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /does not exist/);
  const badLevel = await box.run(['--once'], { env: { SSO_SYNC_LOG_LEVEL: 'verbose' } });
  assert.equal(badLevel.code, 2);
  assert.match(
    badLevel.stderr,
    /SSO_SYNC_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent \(got "verbose"\)/,
  );
  // AWS_CONFIG_FILE naming a file that does not exist: said as such, with where the path came from.
  const missingConfig = path.join(box.home, 'no-such-config');
  const noFile = await box.run(['--once'], { env: { AWS_CONFIG_FILE: missingConfig } });
  assert.equal(noFile.code, 2);
  assert.equal(
    noFile.stderr,
    `sso-sync: ${missingConfig} does not exist: the path comes from AWS_CONFIG_FILE (${missingConfig}). ` +
      'Point AWS_CONFIG_FILE at your AWS config, or unset it to use ~/.aws/config.\n',
  );
  // A config without any sso-session is a different problem, said differently.
  const empty = path.join(box.home, 'empty');
  writeFileSync(empty, '[default]\nregion = eu-west-1\n');
  const noSession = await box.run(['--once'], { env: { AWS_CONFIG_FILE: empty } });
  assert.equal(noSession.code, 2);
  assert.match(noSession.stderr, /there is no sso-session to sync in .*empty: create one/);
});

test('a hand edit inside the block is replaced, backed up, and named in the log', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(userText);
  box.signIn();
  assert.equal((await box.run(['--once'])).code, 0);
  const synced = readFileSync(box.configFile, 'utf8');
  const edited = synced.replace(/(\[profile mycorp-prod-admin\]\n(?:.*\n)*?region = )eu-north-1/, '$1us-east-1');
  assert.notEqual(edited, synced);
  writeFileSync(box.configFile + '.tmp', edited);
  renameSync(box.configFile + '.tmp', box.configFile);
  const run = await box.run(['--once']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(readFileSync(box.configFile, 'utf8'), synced);
  const line = logLines(run.stdout).find((l) => l.event === 'block.edited');
  assert.deepEqual(line?.replaced, ['mycorp-prod-admin']);
  assert.equal(readFileSync(String(line.backup), 'utf8'), edited, 'the backup holds the edited file');
});

test('while another sso-sync holds the lock, a sync waits for it, then writes', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(userText);
  box.signIn();
  const lock = `${box.configFile}.sso-sync.lock`;
  const release = await acquireLock(lock, { attempts: 0, minDelayMs: 1, maxDelayMs: 1 }); // held by this live process
  const run = box.start(['--once']);
  let exitedAt: number | undefined;
  void run.done.then(() => (exitedAt = Date.now()));
  // The sync has reached the lock when its claim (`<lock>.<pid>.<random>`) appears beside it: it is waiting.
  const dir = path.dirname(lock);
  const claim = `${path.basename(lock)}.${String(run.child.pid)}.`;
  await until('the sync waiting for the lock', () => readdirSync(dir).some((n) => n.startsWith(claim)), {
    detail: () => run.output(),
  });
  assert.equal(exitedAt, undefined, 'the sync is still running while the lock is held');
  assert.equal(readFileSync(box.configFile, 'utf8'), userText, 'nothing is written while the lock is held');
  const releasedAt = Date.now();
  await release();
  const result = await run.done;
  assert.equal(result.code, 0, result.stderr);
  assert.ok(profileNames(readFileSync(box.configFile, 'utf8')).length > 0);
  // Written after the release, not before (file times come from a coarse kernel clock: a few ms of slack).
  assert.ok(statSync(box.configFile).mtimeMs >= releasedAt - 20, 'the file was written after the lock was released');
});

test("a dry run masks credentials among the person's own lines shown as context", async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(
    `${sessionSection()}\n[profile static]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = SECRETKEYSECRETKEY\n` +
      'aws_session_token = SESSIONTOKENSECRET\n# aws_secret_access_key = COMMENTEDSECRET\n' +
      'endpoint_url = https://proxy.example/?token=URLTOKENSECRET\n',
  );
  box.signIn();
  const run = await box.run(['--once', '--dry-run']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^ aws_secret_access_key = \*{8}$/m, 'the context line is there, masked');
  assert.match(run.stdout, /^ # aws_secret_access_key = \*{8}$/m, 'a commented-out secret is masked too');
  assert.match(run.stdout, /^ endpoint_url = https:\/\/proxy\.example\/\?token=\*{8}$/m);
  for (const secret of ['AKIAEXAMPLE', 'SECRETKEYSECRETKEY', 'SESSIONTOKENSECRET', 'COMMENTEDSECRET', 'URLTOKENSECRET'])
    assert.ok(!run.stdout.includes(secret), `${secret} is shown`);
});

test('a program that writes the config, pauses, and writes more: the sync waits for it, and nothing it wrote is lost', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(userText);
  box.signIn();
  // A generator writing the file under one redirection, with a pause in the middle (as the hostile round did).
  const first = `[default]\nregion = eu-central-1\n\n${sessionSection()}`;
  const script = `{ printf '%s' '${first}'; sleep 1; printf '\\n[profile generated-late]\\nregion = us-east-1\\n'; } > '${box.configFile}'`;
  const generator = spawn('/bin/sh', ['-c', script], { stdio: 'ignore' });
  t.after(() => generator.kill('SIGKILL'));
  const closed = new Promise((resolve) => generator.once('exit', resolve));
  await until('the first part written', () => readFileSync(box.configFile, 'utf8').includes('eu-central-1'));
  await new Promise((r) => setTimeout(r, 300)); // the hostile round ran sso-sync 0.3 s after the generator started
  const run = await box.run(['--once']);
  await closed;
  assert.equal(run.code, 0, run.stderr);
  const text = readFileSync(box.configFile, 'utf8');
  assert.ok(text.startsWith(`${first}\n[profile generated-late]\nregion = us-east-1\n`), text);
  assert.ok(profileNames(text).includes('mycorp-prod-admin'), 'and the profiles are written');
  const busy = logLines(run.stdout).find((l) => l.event === 'config.busy');
  assert.ok(busy, 'the wait is logged');
  assert.match(String(busy.msg), /is open for writing by pid \d+ \(sh\).*; waiting for it to finish before writing/);
});

test('a config another user owns, replaced by a sync that cannot keep that owner, is named in a warning', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root, to give the config to another user than the one the sync runs as');
    return;
  }
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(userText);
  box.signIn();
  // The person's own directory and cache, a config left owned by root (say, after `sudo aws configure`).
  chmodSync(box.home, 0o755);
  chownTree(box.home, 65534, 65534);
  chownSync(box.configFile, 0, 0);
  const run = await box.run(['--once'], { uid: 65534, gid: 65534 });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(profileNames(readFileSync(box.configFile, 'utf8')).length > 0);
  assert.equal(statSync(box.configFile).uid, 65534, "the file is now the runner's");
  const warning = logLines(run.stdout).find((l) => l.event === 'config.owner_changed');
  assert.ok(warning, run.stdout);
  assert.match(
    String(warning.msg),
    /belonged to uid 0 \(gid 0\); sso-sync runs as uid 65534 and could not keep that owner/,
  );
  assert.match(String(warning.msg), /sudo chown 0:0 /);
});

test('on a terminal, a session that fails is said once, in the log line, not again on stderr', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(userText); // no sign-in: sso-sync has no token
  // A pseudo-terminal, as a person's: `script` runs the command with its output on one.
  const command = [process.execPath, cliPath, '--once'].map((a) => `'${a}'`).join(' ');
  const env = { ...process.env, ...box.env, NO_COLOR: '1' };
  const run = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env, timeout: 60_000 });
  const seen = run.stdout.replace(/\r/g, '');
  assert.equal(seen.match(/has no token for sso-session mycorp/g)?.length, 1, seen);
  // In a pipe the log is JSON for scripts, and the plain line on stderr is the one a person reads.
  const piped = await box.run(['--once']);
  assert.equal(piped.code, 3);
  assert.match(piped.stderr, /^sso-sync: sso-sync has no token for sso-session mycorp/);
});

test('status names a config no sync can use, as a sync does, and exits 4; a missing one says where its path came from', async (t) => {
  const box = await sandbox({ fixture: builtinFixture() });
  t.after(() => box.close());
  box.writeConfig(userText);
  box.signIn();
  // A directory where the config should be.
  rmSync(box.configFile);
  mkdirSync(box.configFile);
  const once = await box.run(['--once']);
  const status = await box.run(['status']);
  assert.equal(once.code, 4);
  assert.equal(status.code, 4, status.stdout);
  assert.match(
    status.stdout,
    new RegExp(`config: ${escapeRegExp(box.configFile)}\\n  cannot be used: .* is a directory, not a file`),
  );
  assert.doesNotMatch(status.stdout, /no sso-session is configured/);
  const json = JSON.parse((await box.run(['status', '--json'])).stdout) as { configProblem?: string };
  assert.match(String(json.configProblem), /is a directory, not a file/);
  // AWS_CONFIG_FILE naming a file that does not exist.
  const missing = path.join(box.home, 'no-such-config');
  const gone = await box.run(['status'], { env: { AWS_CONFIG_FILE: missing } });
  assert.equal(gone.code, 0);
  assert.match(
    gone.stdout,
    new RegExp(`config: ${escapeRegExp(missing)} \\(does not exist; the path comes from AWS_CONFIG_FILE`),
  );
});

/** `text` as a regular expression that matches it literally. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
