import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SsoSyncError } from '../../src/errors.js';
import {
  defaultCliPath,
  execFileRunner,
  launchdLabel,
  readServiceTemplate,
  renderLaunchdPlist,
  renderSystemdUnit,
  serviceCommand,
  servicePlan,
  type ServiceAction,
  type ServiceOptions,
} from '../../src/service/index.js';
import { fakeManagers, type FakeManagers } from './fake-service-managers.js';
import { analyzeVerify } from './systemd-tools.js';

const cliPath = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const scratch = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-service-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let worlds = 0;

/** A temp HOME (its name as awkward as asked), fake service managers, and the options that point at them. */
interface World {
  home: string;
  fakes: FakeManagers;
  options: ServiceOptions;
  output(): string;
  run(action: ServiceAction, change?: Partial<ServiceOptions>): Promise<number>;
}

function world(
  t: { after(fn: () => void): void },
  platform: 'linux' | 'darwin',
  homeName = 'home',
  env: NodeJS.ProcessEnv = {},
): World {
  const home = path.join(scratch, String(++worlds), homeName);
  mkdirSync(home, { recursive: true });
  const fakes = fakeManagers();
  t.after(() => fakes.close());
  let output = '';
  const options: ServiceOptions = {
    platform,
    env: { HOME: home, USER: 'ann', ...env },
    uid: 501,
    nodePath: process.execPath,
    cliPath,
    run: execFileRunner(fakes.env()),
    out: (text) => void (output += text),
  };
  return {
    home,
    fakes,
    options,
    output: () => output,
    run: (action, change = {}) => {
      output = '';
      return serviceCommand(action, { ...options, ...change });
    },
  };
}

const unitFile = (home: string) => path.join(home, '.config', 'systemd', 'user', 'sso-sync.service');
const plistFile = (home: string) => path.join(home, 'Library', 'LaunchAgents', `${launchdLabel}.plist`);
const mtime = (file: string) => statSync(file, { bigint: true }).mtimeNs;
const mode = (file: string) => statSync(file).mode & 0o777;
const systemctl = (...args: string[]) => ['systemctl', '--user', ...args];
/** A path as a regular expression that matches it literally. */
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every path below a directory, to show that nothing was created. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: false }).map(String).sort();
}

async function expectedUnit(home: string, env: NodeJS.ProcessEnv = {}, nodePath = process.execPath): Promise<string> {
  return renderSystemdUnit(
    await readServiceTemplate('systemd'),
    servicePlan({ home, env: { HOME: home, ...env }, nodePath, cliPath }),
  );
}

// ------------------------------------------------------------------------------------------------ systemd

test('install writes the unit, creates the writable directories, reloads systemd and starts the unit', async (t) => {
  const w = world(t, 'linux');
  assert.equal(await w.run('install'), 0);
  const file = unitFile(w.home);
  assert.equal(readFileSync(file, 'utf8'), await expectedUnit(w.home));
  assert.equal(mode(file), 0o644);
  assert.equal(mode(path.join(w.home, '.aws')), 0o700);
  assert.equal(mode(path.join(w.home, '.local', 'state', 'sso-sync')), 0o700);
  assert.deepEqual(w.fakes.calls(), [
    systemctl('show-environment'),
    systemctl('daemon-reload'),
    systemctl('enable', '--now', 'sso-sync.service'),
  ]);
  assert.ok(w.output().includes(`wrote ${file}`), w.output());
  assert.match(w.output(), /journalctl --user -u sso-sync\.service/);
  const verified = analyzeVerify(file);
  assert.equal(verified.output, '');
});

test('install again changes nothing on disk; after an upgrade it rewrites the unit and restarts the daemon', async (t) => {
  const w = world(t, 'linux');
  await w.run('install');
  const file = unitFile(w.home);
  const before = mtime(file);
  w.fakes.clearCalls();

  assert.equal(await w.run('install'), 0);
  assert.equal(mtime(file), before, 'an identical unit is not rewritten');
  assert.match(w.output(), /is up to date/);
  assert.deepEqual(w.fakes.calls(), [
    systemctl('show-environment'),
    systemctl('daemon-reload'),
    systemctl('enable', '--now', 'sso-sync.service'),
  ]);
  w.fakes.clearCalls();

  const upgraded = path.join(scratch, 'sso-sync-2', 'dist', 'src', 'cli', 'main.js');
  assert.equal(await w.run('install', { cliPath: upgraded }), 0);
  assert.match(readFileSync(file, 'utf8'), new RegExp(`^ExecStart=".*" "${escapeRegExp(upgraded)}"$`, 'm'));
  assert.deepEqual(w.fakes.calls(), [
    systemctl('show-environment'),
    systemctl('daemon-reload'),
    systemctl('enable', '--now', 'sso-sync.service'),
    systemctl('restart', 'sso-sync.service'),
  ]);
});

test('install puts the unit under XDG_CONFIG_HOME when it is set', async (t) => {
  const w = world(t, 'linux', 'home', {});
  const configHome = path.join(w.home, 'cfg');
  assert.equal(await w.run('install', { env: { ...w.options.env, XDG_CONFIG_HOME: configHome } }), 0);
  assert.ok(existsSync(path.join(configHome, 'systemd', 'user', 'sso-sync.service')));
  assert.ok(!existsSync(unitFile(w.home)));
});

test('uninstall stops, disables and removes the unit; a second uninstall has nothing to do and succeeds', async (t) => {
  const w = world(t, 'linux');
  await w.run('install');
  w.fakes.clearCalls();

  assert.equal(await w.run('uninstall'), 0);
  assert.ok(!existsSync(unitFile(w.home)));
  assert.deepEqual(w.fakes.calls(), [systemctl('disable', '--now', 'sso-sync.service'), systemctl('daemon-reload')]);
  assert.ok(existsSync(path.join(w.home, '.local', 'state', 'sso-sync')), 'state and logs stay');
  w.fakes.clearCalls();

  assert.equal(await w.run('uninstall'), 0);
  assert.match(w.output(), /not installed/);
  assert.deepEqual(w.fakes.calls(), []);
});

test('status says whether the unit is installed, up to date, enabled and active', async (t) => {
  const w = world(t, 'linux');
  assert.equal(await w.run('status'), 0);
  assert.match(w.output(), /not installed \(no .*sso-sync\.service\): run `sso-sync service install`/);
  assert.deepEqual(w.fakes.calls(), []);

  await w.run('install');
  w.fakes.clearCalls();
  assert.equal(await w.run('status'), 0);
  assert.match(w.output(), /installed, up to date/);
  assert.match(w.output(), /^enabled: enabled$/m);
  assert.match(w.output(), /^active: active$/m);
  assert.deepEqual(w.fakes.calls(), [
    systemctl('is-enabled', 'sso-sync.service'),
    systemctl('is-active', 'sso-sync.service'),
  ]);

  // Another Node.js (an upgrade, a move): the unit on disk is now stale, and status shows what changed.
  const otherNode = path.join(scratch, 'node-25', 'bin', 'node');
  w.fakes.setState('active', false);
  assert.equal(await w.run('status', { nodePath: otherNode }), 0);
  assert.match(w.output(), /installed, but out of date/);
  assert.match(w.output(), new RegExp(`^\\s+\\+ExecStart="${escapeRegExp(otherNode)}"`, 'm'));
  assert.match(w.output(), /^\s+-ExecStart=/m);
  assert.match(w.output(), /^active: inactive$/m);
});

test('a dry run prints the unit and the commands, and touches nothing', async (t) => {
  const w = world(t, 'linux');
  assert.equal(await w.run('install', { dryRun: true }), 0);
  const file = unitFile(w.home);
  const out = w.output();
  assert.ok(out.includes(`would write ${file} with:\n${await expectedUnit(w.home)}`), out);
  assert.match(out, /would create the directories .*\.aws/);
  assert.ok(
    out.includes(
      'would run systemctl --user daemon-reload\nwould run systemctl --user enable --now sso-sync.service\n',
    ),
    out,
  );
  assert.deepEqual(tree(w.home), [], 'the HOME stays empty');
  assert.deepEqual(w.fakes.calls(), []);

  await w.run('install');
  const before = mtime(file);
  w.fakes.clearCalls();
  assert.equal(await w.run('uninstall', { dryRun: true }), 0);
  assert.match(
    w.output(),
    /would run systemctl --user disable --now sso-sync\.service\nwould remove .*\nwould run systemctl --user daemon-reload/,
  );
  assert.equal(mtime(file), before);
  assert.deepEqual(w.fakes.calls(), []);
});

test('a failing systemctl is named with its exit code and first line, says what to do, and leaves nothing installed', async (t) => {
  const w = world(t, 'linux');
  const failing = execFileRunner(
    w.fakes.env({
      FAKE_FAIL: 'systemctl --user enable*',
      FAKE_FAIL_CODE: '1',
      FAKE_FAIL_STDERR: 'Failed to connect to bus: No medium found\nsecond line',
    }),
  );
  await assert.rejects(w.run('install', { run: failing }), (error: unknown) => {
    assert.ok(error instanceof SsoSyncError);
    assert.equal(error.exitCode, 1);
    assert.match(
      error.message,
      /^`systemctl --user enable --now sso-sync\.service` failed with exit code 1: Failed to connect to bus: No medium found\n/,
    );
    assert.doesNotMatch(error.message, /second line/);
    assert.match(error.message, /loginctl enable-linger ann/);
    assert.match(error.message, /Nothing is half-installed: .*sso-sync\.service was removed again\.$/);
    return true;
  });
  // The unit written for this install was removed again; once systemd is reachable, install does it all.
  assert.ok(!existsSync(unitFile(w.home)));
  w.fakes.clearCalls();
  assert.equal(await w.run('install'), 0);
  assert.ok(existsSync(unitFile(w.home)));
});

test('where no user manager can be reached, install says what to do and writes nothing at all', async (t) => {
  const w = world(t, 'linux');
  const unreachable = execFileRunner(
    w.fakes.env({
      FAKE_FAIL: 'systemctl --user *',
      FAKE_FAIL_CODE: '1',
      FAKE_FAIL_STDERR: 'Failed to connect to bus: No such file or directory',
    }),
  );
  await assert.rejects(
    w.run('install', { run: unreachable, env: { ...w.options.env, WSL_DISTRO_NAME: 'Debian' } }),
    (error: unknown) => {
      assert.ok(error instanceof SsoSyncError);
      assert.match(
        error.message,
        /^`systemctl --user show-environment` failed with exit code 1: Failed to connect to bus/,
      );
      assert.match(error.message, /No systemd user manager is reachable for you/);
      assert.match(error.message, /loginctl enable-linger ann/);
      assert.match(error.message, /On WSL, turn systemd on: add `\[boot\]` and `systemd=true` to \/etc\/wsl\.conf/);
      assert.match(error.message, /run `sso-sync` with no arguments under whatever starts programs there/);
      return true;
    },
  );
  assert.deepEqual(w.fakes.calls(), [systemctl('show-environment')]);
  assert.deepEqual(tree(w.home), [], 'no directory, no unit file');
});

test('uninstall removes the unit file even when systemctl fails, and says what it could not do', async (t) => {
  const w = world(t, 'linux');
  assert.equal(await w.run('install'), 0);
  const failing = execFileRunner(
    w.fakes.env({
      FAKE_FAIL: 'systemctl --user disable*',
      FAKE_FAIL_CODE: '1',
      FAKE_FAIL_STDERR: 'Failed to connect to bus: No medium found',
    }),
  );
  await assert.rejects(w.run('uninstall', { run: failing }), (error: unknown) => {
    assert.ok(error instanceof SsoSyncError);
    assert.equal(error.exitCode, 1);
    assert.match(error.message, /^`systemctl --user disable --now sso-sync\.service` failed with exit code 1/);
    assert.match(error.message, /The unit file is removed, so it does not start again/);
    return true;
  });
  assert.ok(!existsSync(unitFile(w.home)), 'the unit file is gone');
  assert.match(w.output(), /removed .*sso-sync\.service/);
});

test('without systemctl on PATH the message says systemd is needed', async (t) => {
  const w = world(t, 'linux');
  const empty = mkdtempSync(path.join(scratch, 'empty-bin-'));
  await assert.rejects(w.run('install', { run: execFileRunner({ PATH: empty }) }), (error: unknown) => {
    assert.ok(error instanceof SsoSyncError);
    assert.match(
      error.message,
      /`systemctl --user show-environment` failed with exit code 127: systemctl: command not found\nsystemctl was not found/,
    );
    return true;
  });
});

test('a HOME and an XDG_CONFIG_HOME with spaces and % install a unit that verifies', async (t) => {
  const w = world(t, 'linux', 'my home %d $x');
  const env = {
    ...w.options.env,
    XDG_CONFIG_HOME: path.join(w.home, 'config dir %h'),
    XDG_STATE_HOME: path.join(w.home, 'state 100%'),
  };
  assert.equal(await w.run('install', { env }), 0);
  const file = path.join(w.home, 'config dir %h', 'systemd', 'user', 'sso-sync.service');
  assert.equal(readFileSync(file, 'utf8'), await expectedUnit(w.home, env));
  assert.ok(statSync(path.join(w.home, 'state 100%', 'sso-sync')).isDirectory());
  assert.equal(analyzeVerify(file).output, '');
  assert.deepEqual(w.fakes.calls(), [
    systemctl('show-environment'),
    systemctl('daemon-reload'),
    systemctl('enable', '--now', 'sso-sync.service'),
  ]);
});

test('an AWS config that links to the dotfiles gets the real directory writable in the sandbox', async (t) => {
  const w = world(t, 'linux');
  const dotfiles = path.join(w.home, 'dotfiles', 'aws');
  mkdirSync(dotfiles, { recursive: true });
  writeFileSync(path.join(dotfiles, 'config'), '[default]\n');
  mkdirSync(path.join(w.home, '.aws'));
  symlinkSync(path.join(dotfiles, 'config'), path.join(w.home, '.aws', 'config'));
  assert.equal(await w.run('install'), 0);
  const line = /^ReadWritePaths=(.*)$/m.exec(readFileSync(unitFile(w.home), 'utf8'))![1];
  assert.equal(
    line,
    [`${w.home}/.aws`, `${w.home}/.local/state/sso-sync`, dotfiles].map((p) => JSON.stringify(p)).join(' '),
  );
});

// ------------------------------------------------------------------------------------------------ launchd

test('install on macOS writes the agent, creates its log directory, enables and bootstraps it', async (t) => {
  const w = world(t, 'darwin', 'Ann Smith %d');
  assert.equal(await w.run('install'), 0);
  const file = plistFile(w.home);
  const plan = servicePlan({ home: w.home, env: w.options.env, nodePath: process.execPath, cliPath });
  assert.equal(readFileSync(file, 'utf8'), renderLaunchdPlist(await readServiceTemplate('launchd'), plan));
  assert.equal(mode(path.join(w.home, 'Library', 'Logs', 'sso-sync')), 0o700);
  const target = `gui/501/${launchdLabel}`;
  assert.deepEqual(w.fakes.calls(), [
    ['launchctl', 'print', target],
    ['launchctl', 'enable', target],
    ['launchctl', 'bootstrap', 'gui/501', file],
  ]);
  w.fakes.clearCalls();

  // Again, unchanged and loaded: nothing to reload.
  assert.equal(await w.run('install'), 0);
  assert.deepEqual(w.fakes.calls(), [
    ['launchctl', 'print', target],
    ['launchctl', 'enable', target],
  ]);
  assert.match(w.output(), /loaded already/);
  w.fakes.clearCalls();

  // After an upgrade: the old copy is unloaded first, then the new one loaded.
  assert.equal(await w.run('install', { cliPath: path.join(scratch, 'v2', 'main.js') }), 0);
  assert.deepEqual(w.fakes.calls(), [
    ['launchctl', 'print', target],
    ['launchctl', 'bootout', target],
    ['launchctl', 'print', target],
    ['launchctl', 'enable', target],
    ['launchctl', 'bootstrap', 'gui/501', file],
  ]);
});

test('status on macOS shows whether the agent is loaded and running', async (t) => {
  const w = world(t, 'darwin');
  assert.equal(await w.run('status'), 0);
  assert.match(w.output(), /not installed/);
  assert.match(w.output(), /^loaded: no$/m);
  await w.run('install');
  assert.equal(await w.run('status'), 0);
  assert.match(w.output(), /installed, up to date/);
  assert.match(w.output(), /^loaded: yes\nstate: running\npid: 4242\nlast exit code: \(never exited\)$/m);
});

test('uninstall on macOS boots the agent out and removes it; a second one has nothing to do', async (t) => {
  const w = world(t, 'darwin');
  await w.run('install');
  w.fakes.clearCalls();
  const target = `gui/501/${launchdLabel}`;
  assert.equal(await w.run('uninstall'), 0);
  assert.ok(!existsSync(plistFile(w.home)));
  assert.deepEqual(w.fakes.calls(), [
    ['launchctl', 'print', target],
    ['launchctl', 'bootout', target],
  ]);
  w.fakes.clearCalls();
  assert.equal(await w.run('uninstall'), 0);
  assert.match(w.output(), /not installed/);
  assert.deepEqual(w.fakes.calls(), [['launchctl', 'print', target]]);
});

test('a refused bootstrap is reported with the command, its exit code and what to check', async (t) => {
  const w = world(t, 'darwin');
  const failing = execFileRunner(
    w.fakes.env({
      FAKE_FAIL: 'launchctl bootstrap*',
      FAKE_FAIL_CODE: '5',
      FAKE_FAIL_STDERR: 'Bootstrap failed: 5: Input/output error',
    }),
  );
  await assert.rejects(w.run('install', { run: failing }), (error: unknown) => {
    assert.ok(error instanceof SsoSyncError);
    assert.ok(
      error.message.startsWith(
        `\`launchctl bootstrap gui/501 ${plistFile(w.home)}\` failed with exit code 5: Bootstrap failed: 5: Input/output error\n`,
      ),
      error.message,
    );
    assert.match(error.message, /plutil -lint/);
    assert.match(error.message, /sso-sync service uninstall/);
    return true;
  });
});

test('a dry run on macOS writes nothing and runs nothing', async (t) => {
  const w = world(t, 'darwin');
  assert.equal(await w.run('install', { dryRun: true }), 0);
  assert.ok(w.output().includes(`would write ${plistFile(w.home)} with:\n<?xml`));
  assert.match(w.output(), /^would run launchctl bootstrap gui\/501 .*io\.github\.sso-sync\.plist$/m);
  assert.deepEqual(tree(w.home), []);
  assert.deepEqual(w.fakes.calls(), []);
});

// ------------------------------------------------------------------------------------------------ both

test('another platform, or a relative path, is a usage error (exit 2) and runs nothing', async (t) => {
  const w = world(t, 'linux');
  await assert.rejects(w.run('install', { platform: 'win32' }), (error: unknown) => {
    assert.ok(error instanceof SsoSyncError);
    assert.equal(error.exitCode, 2);
    assert.match(error.message, /systemd user unit \(Linux\) or a launchd agent \(macOS\); there is none for win32/);
    return true;
  });
  await assert.rejects(
    w.run('install', { nodePath: 'node' }),
    (error: unknown) => error instanceof SsoSyncError && error.exitCode === 2,
  );
  // A Node.js sso-sync does not run on is never pinned into the unit.
  await assert.rejects(w.run('install', { nodePath: '/usr/bin/node', nodeVersion: '20.20.2' }), (error: unknown) => {
    assert.ok(error instanceof SsoSyncError);
    assert.equal(error.exitCode, 2);
    assert.match(
      error.message,
      /sso-sync needs Node\.js 22 or newer, and this is Node\.js 20\.20\.2 \(\/usr\/bin\/node\)/,
    );
    return true;
  });
  assert.deepEqual(w.fakes.calls(), []);
  assert.deepEqual(tree(w.home), []);
});

test('the default CLI path is the built command-line script of this installation', () => {
  assert.equal(defaultCliPath(), cliPath);
  assert.ok(existsSync(defaultCliPath()));
});
